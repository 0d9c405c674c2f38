import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { PASSWORD_HASH_PATTERN } from '../config/index.js';

/**
 * Password hashes in the users file: `scrypt$N$r$p$<salt base64url>$<hash base64url>`.
 * N=2^15, r=8, p=1 is OWASP's scrypt recommendation (about 32 MiB and tens of ms per check).
 */
export const SCRYPT_COST_N = 2 ** 15;
export const SCRYPT_BLOCK_SIZE_R = 8;
export const SCRYPT_PARALLELISM_P = 1;
/** Derived key length in bytes. */
export const SCRYPT_KEY_BYTES = 32;
/** Salt length in bytes. */
export const SCRYPT_SALT_BYTES = 16;
/** Node refuses scrypt above 32 MiB of memory by default; 128·N·r·2 bytes leaves headroom. */
const SCRYPT_MAXMEM_BYTES = 256 * SCRYPT_COST_N * SCRYPT_BLOCK_SIZE_R;

export function hashPassword(password: string, salt: Uint8Array = randomBytes(SCRYPT_SALT_BYTES)): string {
  const key = scryptSync(password, salt, SCRYPT_KEY_BYTES, {
    N: SCRYPT_COST_N,
    r: SCRYPT_BLOCK_SIZE_R,
    p: SCRYPT_PARALLELISM_P,
    maxmem: SCRYPT_MAXMEM_BYTES,
  });
  return [
    'scrypt',
    SCRYPT_COST_N,
    SCRYPT_BLOCK_SIZE_R,
    SCRYPT_PARALLELISM_P,
    Buffer.from(salt).toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

export function verifyPassword(password: string, encoded: string): boolean {
  if (!PASSWORD_HASH_PATTERN.test(encoded)) return false;
  const [, n, r, p, saltText, hashText] = encoded.split('$') as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64url');
  const N = Number(n);
  const R = Number(r);
  const key = scryptSync(password, Buffer.from(saltText, 'base64url'), expected.length, {
    N,
    r: R,
    p: Number(p),
    maxmem: Math.max(SCRYPT_MAXMEM_BYTES, 256 * N * R),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
