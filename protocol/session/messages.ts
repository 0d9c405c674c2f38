/**
 * Handshake messages on the `session` characteristic (SESSION.md, "Messages"). Each is one CBOR
 * array whose first element is the type; byte strings are plain CBOR byte strings (major type 2).
 * Decoding is strict: the bytes must be exactly the canonical encoding of a valid message, so any
 * change to any byte (including trailing bytes) is rejected with SESSION_HANDSHAKE_INVALID.
 */
import { Encoder } from 'cbor-x';
import { equalBytes } from './bytes.js';
import { fail } from './fail.js';
import { HASH_BYTES, POINT_BYTES } from './spake2plus.js';
import { MAX_SALT_BYTES } from './verifier.js';
import { MAX_HANDSHAKE_MESSAGE_BYTES } from '../gatt.js';

export { MAX_HANDSHAKE_MESSAGE_BYTES };

export const MSG_HELLO = 1;
export const MSG_PARAMS = 2;
export const MSG_SHARE = 3;
export const MSG_REPLY = 4;
export const MSG_CONFIRM = 5;
export const MSG_DONE = 6;
export const MSG_ERROR = 7;

export type HandshakeMessage =
  | { readonly type: typeof MSG_HELLO; readonly version: number; readonly context: Uint8Array }
  | { readonly type: typeof MSG_PARAMS; readonly iterations: number; readonly salt: Uint8Array }
  | { readonly type: typeof MSG_SHARE; readonly pA: Uint8Array }
  | { readonly type: typeof MSG_REPLY; readonly pB: Uint8Array; readonly cB: Uint8Array }
  | { readonly type: typeof MSG_CONFIRM; readonly cA: Uint8Array }
  | { readonly type: typeof MSG_DONE }
  | { readonly type: typeof MSG_ERROR; readonly wire: number; readonly retryAfterMs: number | undefined };

const cbor = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });

function toArray(m: HandshakeMessage): unknown[] {
  switch (m.type) {
    case MSG_HELLO:
      return [m.type, m.version, m.context];
    case MSG_PARAMS:
      return [m.type, m.iterations, m.salt];
    case MSG_SHARE:
      return [m.type, m.pA];
    case MSG_REPLY:
      return [m.type, m.pB, m.cB];
    case MSG_CONFIRM:
      return [m.type, m.cA];
    case MSG_DONE:
      return [m.type];
    case MSG_ERROR:
      return m.retryAfterMs === undefined ? [m.type, m.wire] : [m.type, m.wire, m.retryAfterMs];
  }
}

export function encodeHandshake(m: HandshakeMessage): Uint8Array {
  const out: Uint8Array = cbor.encode(toArray(m));
  return new Uint8Array(out);
}

function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
    fail('SESSION_HANDSHAKE_INVALID', `${what} is not an unsigned integer up to ${max}`);
  return v;
}

function bytes(v: unknown, min: number, max: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length < min || v.length > max)
    fail('SESSION_HANDSHAKE_INVALID', `${what} is not a byte string of ${min === max ? min : `${min}-${max}`} bytes`);
  return new Uint8Array(v);
}

function arity(a: unknown[], n: number, type: number): void {
  if (a.length !== n) fail('SESSION_HANDSHAKE_INVALID', `message type ${type} must have ${n} elements`);
}

function fromArray(a: unknown[]): HandshakeMessage {
  const type = a[0];
  switch (type) {
    case MSG_HELLO:
      arity(a, 3, type);
      return { type, version: uint(a[1], 0xffff, 'version'), context: bytes(a[2], HASH_BYTES, HASH_BYTES, 'context') };
    case MSG_PARAMS:
      arity(a, 3, type);
      return { type, iterations: uint(a[1], 0xffffffff, 'iterations'), salt: bytes(a[2], 1, MAX_SALT_BYTES, 'salt') };
    case MSG_SHARE:
      arity(a, 2, type);
      return { type, pA: bytes(a[1], POINT_BYTES, POINT_BYTES, 'pA') };
    case MSG_REPLY:
      arity(a, 3, type);
      return { type, pB: bytes(a[1], POINT_BYTES, POINT_BYTES, 'pB'), cB: bytes(a[2], HASH_BYTES, HASH_BYTES, 'cB') };
    case MSG_CONFIRM:
      arity(a, 2, type);
      return { type, cA: bytes(a[1], HASH_BYTES, HASH_BYTES, 'cA') };
    case MSG_DONE:
      arity(a, 1, type);
      return { type };
    case MSG_ERROR:
      if (a.length !== 2 && a.length !== 3) fail('SESSION_HANDSHAKE_INVALID', 'an error message has 2 or 3 elements');
      return {
        type,
        wire: uint(a[1], 0xffff, 'error code'),
        retryAfterMs: a.length === 3 ? uint(a[2], 0xffffffff, 'retry-after') : undefined,
      };
    default:
      return fail('SESSION_HANDSHAKE_INVALID', 'unknown handshake message type');
  }
}

export function decodeHandshake(data: Uint8Array): HandshakeMessage {
  if (data.length > MAX_HANDSHAKE_MESSAGE_BYTES)
    fail('SESSION_HANDSHAKE_INVALID', `a handshake message is at most ${MAX_HANDSHAKE_MESSAGE_BYTES} bytes`);
  let decoded: unknown;
  try {
    decoded = cbor.decode(data);
  } catch {
    fail('SESSION_HANDSHAKE_INVALID', 'the handshake message is not valid CBOR');
  }
  if (!Array.isArray(decoded) || decoded.length === 0)
    fail('SESSION_HANDSHAKE_INVALID', 'a handshake message is a non-empty CBOR array');
  const message = fromArray(decoded);
  // Canonical form only: one valid encoding per message, so no byte can change unnoticed.
  if (!equalBytes(encodeHandshake(message), data))
    fail('SESSION_HANDSHAKE_INVALID', 'the handshake message is not canonically encoded');
  return message;
}
