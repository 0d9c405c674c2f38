/**
 * The device's verifier file (SESSION.md, "Verifier file"): JSON, mode 0600, written atomically.
 * It holds the salt, the iteration count, w0 and L — never the setup code or w1.
 */
import { readFileSync } from 'node:fs';
import { ProvisioningError } from '../../protocol/index.js';
import { validateVerifier, type SetupVerifier } from '../../protocol/session/index.js';
import { writeFileAtomicSync } from '../storage/index.js';

export const VERIFIER_FILE_FORMAT = 'tup-setup-verifier';
export const VERIFIER_FILE_VERSION = 1;
export const VERIFIER_KDF = 'PBKDF2-HMAC-SHA256';

export interface VerifierFile {
  format: typeof VERIFIER_FILE_FORMAT;
  version: typeof VERIFIER_FILE_VERSION;
  deviceId: string;
  kdf: typeof VERIFIER_KDF;
  iterations: number;
  /** base64 */
  salt: string;
  /** hex, 32 bytes */
  w0: string;
  /** hex, 65 bytes (uncompressed SEC1) */
  L: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function verifierToJson(v: SetupVerifier): VerifierFile {
  return {
    format: VERIFIER_FILE_FORMAT,
    version: VERIFIER_FILE_VERSION,
    deviceId: v.deviceId,
    kdf: VERIFIER_KDF,
    iterations: v.iterations,
    salt: Buffer.from(v.salt).toString('base64'),
    w0: hex(v.w0),
    L: hex(v.L),
  };
}

function invalid(detail: string): never {
  throw new ProvisioningError('CONFIG_INVALID', { detail: `verifier file: ${detail}` });
}

function bytesField(value: unknown, encoding: 'hex' | 'base64', name: string): Uint8Array {
  if (typeof value !== 'string') invalid(`${name} is missing`);
  if (encoding === 'hex' && !/^([0-9a-f]{2})+$/.test(value)) invalid(`${name} is not hex`);
  if (encoding === 'base64' && !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) invalid(`${name} is not base64`);
  return new Uint8Array(Buffer.from(value, encoding));
}

export function verifierFromJson(json: unknown): SetupVerifier {
  if (typeof json !== 'object' || json === null) invalid('not a JSON object');
  const f = json as Record<string, unknown>;
  if (f['format'] !== VERIFIER_FILE_FORMAT || f['version'] !== VERIFIER_FILE_VERSION)
    invalid(`not a ${VERIFIER_FILE_FORMAT} v${VERIFIER_FILE_VERSION} file`);
  if (f['kdf'] !== VERIFIER_KDF) invalid(`kdf must be ${VERIFIER_KDF}`);
  if (typeof f['deviceId'] !== 'string' || typeof f['iterations'] !== 'number')
    invalid('deviceId or iterations missing');
  return validateVerifier({
    deviceId: f['deviceId'],
    iterations: f['iterations'],
    salt: bytesField(f['salt'], 'base64', 'salt'),
    w0: bytesField(f['w0'], 'hex', 'w0'),
    L: bytesField(f['L'], 'hex', 'L'),
  });
}

export function writeVerifierFile(path: string, v: SetupVerifier): void {
  writeFileAtomicSync(path, JSON.stringify(verifierToJson(v), null, 2) + '\n');
}

export function readVerifierFile(path: string): SetupVerifier {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', { detail: `cannot read the verifier file ${path}`, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    invalid('not JSON');
  }
  return verifierFromJson(json);
}
