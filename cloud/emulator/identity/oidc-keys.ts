import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { writeFileAtomic } from '../config/index.js';

/** RSA modulus for the ID-token signing key (RS256). */
export const SIGNING_KEY_MODULUS_BITS = 2048;
/** Bytes of each cookie-signing key. */
export const COOKIE_KEY_BYTES = 32;

export interface OidcKeyMaterial {
  /** Private JWKs for oidc-provider's `jwks` option (the public halves are served at jwks_uri). */
  jwks: { keys: JWK[] };
  /** Keys that sign the provider's cookies (first signs, all verify). */
  cookieKeys: string[];
}

/**
 * Loads the provider's keys from `<dir>/<fileName>`, creating them on first start, so that ID
 * tokens and sessions survive a restart. The file holds private keys: 0600, written atomically.
 */
export async function loadOrCreateOidcKeys(dir: string, fileName = 'oidc-keys.json'): Promise<OidcKeyMaterial> {
  const path = join(dir, fileName);
  if (existsSync(path)) {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as OidcKeyMaterial;
    if (!Array.isArray(parsed.jwks?.keys) || parsed.jwks.keys.length === 0 || !Array.isArray(parsed.cookieKeys)) {
      throw new Error(`${path} is damaged: delete it to create new keys (existing tokens become invalid)`);
    }
    return parsed;
  }
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: SIGNING_KEY_MODULUS_BITS, extractable: true });
  const jwk = await exportJWK(privateKey);
  const material: OidcKeyMaterial = {
    jwks: { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }] },
    cookieKeys: [randomBytes(COOKIE_KEY_BYTES).toString('base64url')],
  };
  writeFileAtomic(path, `${JSON.stringify(material, null, 2)}\n`);
  return material;
}
