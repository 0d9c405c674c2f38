import * as client from 'openid-client';
import { ProvisioningError } from '../../protocol/index.js';
import { oidcError } from './errors.js';

/** Host names that are this machine: plain http to them is allowed (the emulator), to nothing else. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/**
 * Discovers the issuer (OpenID Connect discovery) for a public client (no secret, PKCE) or, given a
 * secret, a confidential one (the secret in the form body, `client_secret_post`, as the seed's
 * python-keycloak sends it). http:// is accepted only for loopback issuers (the local emulator);
 * anything else must be https.
 */
export async function discoverIssuer(
  issuer: string,
  clientId: string,
  clientSecret?: string,
): Promise<client.Configuration> {
  const url = new URL(issuer);
  const insecure = url.protocol === 'http:';
  if (insecure && !isLoopbackUrl(url)) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `oidc.issuer: plain http is allowed only for loopback hosts, not ${url.host}`,
    });
  }
  try {
    const auth = clientSecret !== undefined ? client.ClientSecretPost(clientSecret) : client.None();
    return await client.discovery(
      url,
      clientId,
      undefined,
      auth,
      insecure ? { execute: [client.allowInsecureRequests] } : undefined,
    );
  } catch (err) {
    throw oidcError(err, `discovery at ${url.origin}`);
  }
}
