/**
 * From setup code to SPAKE2+ secrets (SESSION.md, "Password hashing"):
 *   w0s || w1s = PBKDF2-HMAC-SHA256(password = len(code)||code || len("")|| || len("")||, salt, iterations, 80 bytes)
 *   w0 = w0s mod p, w1 = w1s mod p, L = w1*P
 * i.e. RFC 9383 section 3.2 with PBKDF = PBKDF2-HMAC-SHA256 and empty identities in the PBKDF input
 * (the device identity is bound in the transcript instead, so renaming a device does not need a new code).
 * The device keeps only {@link SetupVerifier}: salt, iterations, w0 and L, never the code or w1.
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { bytesToBigInt, concatBytes, lengthPrefixed, utf8, wipe } from './bytes.js';
import { assertDeviceId } from './device-id.js';
import { fail } from './fail.js';
import { randomBytes, type RandomSource } from './random.js';
import type { SetupCode } from './setup-code.js';
import {
  computeL,
  GROUP_ORDER,
  POINT_BYTES,
  SCALAR_BYTES,
  secretsFromPbkdfOutput,
  W_SEED_BYTES,
  type Spake2PlusSecrets,
} from './spake2plus.js';

/** PBKDF2 iterations for new codes: about 30 ms on the phone; see SESSION.md for why this suffices. */
export const DEFAULT_PBKDF2_ITERATIONS = 10_000;
/** Iteration range a phone accepts from a device (bounds the work a rogue device can demand). */
export const MIN_PBKDF2_ITERATIONS = 1_000;
export const MAX_PBKDF2_ITERATIONS = 100_000;
/** Salt length for new codes in bytes; accepted range below. */
export const DEFAULT_SALT_BYTES = 16;
export const MIN_SALT_BYTES = 16;
export const MAX_SALT_BYTES = 32;

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2) to `length` bytes. Injected where the platform has a
 * native one (Node's OpenSSL: about 3 ms for 10,000 iterations against about 80 ms in JavaScript, on
 * the thread that serves every link of a phone provisioning a fleet); {@link pbkdf2Sha256} otherwise.
 */
export type Pbkdf2Sha256 = (password: Uint8Array, salt: Uint8Array, iterations: number, length: number) => Uint8Array;

/** The portable PBKDF2 (@noble/hashes): what a browser's synchronous code has. */
export const pbkdf2Sha256: Pbkdf2Sha256 = (password, salt, iterations, length) =>
  pbkdf2(sha256, password, salt, { c: iterations, dkLen: length });

export interface PbkdfParams {
  readonly iterations: number;
  readonly salt: Uint8Array;
}

/** The device's stored record. */
export interface SetupVerifier extends PbkdfParams {
  readonly deviceId: string;
  readonly w0: Uint8Array;
  readonly L: Uint8Array;
}

export function pbkdfParamsValid(p: PbkdfParams): boolean {
  return (
    Number.isSafeInteger(p.iterations) &&
    p.iterations >= MIN_PBKDF2_ITERATIONS &&
    p.iterations <= MAX_PBKDF2_ITERATIONS &&
    p.salt.length >= MIN_SALT_BYTES &&
    p.salt.length <= MAX_SALT_BYTES
  );
}

/** w0, w1 from a (validated) setup code; undefined only with probability 2^-256. */
export function deriveSecrets(
  code: SetupCode,
  params: PbkdfParams,
  hash: Pbkdf2Sha256 = pbkdf2Sha256,
): Spake2PlusSecrets | undefined {
  const password = concatBytes(
    lengthPrefixed(utf8(code)),
    lengthPrefixed(new Uint8Array(0)),
    lengthPrefixed(new Uint8Array(0)),
  );
  const out = hash(password, params.salt, params.iterations, 2 * W_SEED_BYTES);
  if (out.length !== 2 * W_SEED_BYTES) throw new RangeError(`PBKDF2 must return ${2 * W_SEED_BYTES} bytes`);
  const secrets = secretsFromPbkdfOutput(out);
  wipe(password, out);
  return secrets;
}

export interface MakeVerifierOptions {
  readonly deviceId: string;
  readonly code: SetupCode;
  readonly random: RandomSource;
  readonly iterations?: number;
}

/** Computes a device's verifier from its code with a fresh random salt. */
export function makeVerifier(o: MakeVerifierOptions): SetupVerifier {
  assertDeviceId(o.deviceId, 'CONFIG_INVALID');
  const iterations = o.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  for (;;) {
    const params = { iterations, salt: randomBytes(o.random, DEFAULT_SALT_BYTES) };
    if (!pbkdfParamsValid(params))
      fail('CONFIG_INVALID', `PBKDF2 iterations must be ${MIN_PBKDF2_ITERATIONS}-${MAX_PBKDF2_ITERATIONS}`);
    const secrets = deriveSecrets(o.code, params);
    if (secrets === undefined) continue; // w0 or w1 reduced to 0: draw another salt
    const verifier = { deviceId: o.deviceId, ...params, w0: secrets.w0, L: computeL(secrets.w1) };
    wipe(secrets.w1);
    return verifier;
  }
}

/** Checks a loaded verifier record: parameters in range, w0 a scalar in [1, p-1], L a valid point. */
export function validateVerifier(v: SetupVerifier): SetupVerifier {
  assertDeviceId(v.deviceId, 'CONFIG_INVALID');
  if (!pbkdfParamsValid(v)) fail('CONFIG_INVALID', 'the verifier has PBKDF2 parameters out of range');
  const w0 = bytesToBigInt(v.w0);
  if (v.w0.length !== SCALAR_BYTES || w0 === 0n || w0 >= GROUP_ORDER)
    fail('CONFIG_INVALID', 'the verifier has an invalid w0');
  try {
    if (v.L.length !== POINT_BYTES) throw new RangeError('length');
    const L = p256.Point.fromBytes(v.L);
    L.assertValidity();
    if (L.is0()) throw new RangeError('identity');
  } catch {
    fail('CONFIG_INVALID', 'the verifier has an invalid L');
  }
  return v;
}
