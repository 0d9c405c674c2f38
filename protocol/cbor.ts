/**
 * Strict CBOR for messages (PROTOCOL.md §5.1): RFC 8949 core deterministic encoding only. Decoding
 * uses cbor-x and then re-encodes the decoded value: any input that is not byte-for-byte the
 * deterministic encoding of what it decodes to (trailing bytes, indefinite lengths, longer integer
 * or length forms, unsorted or duplicate map keys, tags, floats) is CBOR_MALFORMED.
 */
import { Decoder, Encoder } from 'cbor-x';
import { ProtocolError } from './errors.js';

/** The data model messages use: text-keyed maps, arrays, text, bytes, integers, booleans. */
export type CborValue = string | number | boolean | Uint8Array | readonly CborValue[] | CborMap;
export type CborMap = ReadonlyMap<string, CborValue>;

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
});
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** RFC 8949 §4.2.1 order of text keys: by length of the encoding, then bytewise. */
export function compareKeys(a: string, b: string): number {
  const ea = utf8Length(a);
  const eb = utf8Length(b);
  if (ea !== eb) return ea - eb;
  const ba = new TextEncoder().encode(a);
  const bb = new TextEncoder().encode(b);
  for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) return ba[i]! - bb[i]!;
  return 0;
}

export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

// `instanceof Map` alone would narrow to Map<any, any>; the guard keeps the value types.
const isCborMap = (value: CborValue): value is CborMap => value instanceof Map;

function canonical(value: CborValue): unknown {
  if (isCborMap(value)) {
    const entries = [...value].sort(([a], [b]) => compareKeys(a, b));
    return new Map(entries.map(([k, v]) => [k, canonical(v)]));
  }
  if (Array.isArray(value)) return value.map((v: CborValue) => canonical(v));
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new RangeError('messages carry only safe integers');
  return value;
}

/** Deterministic encoding of a message value; map keys are sorted here. */
export function encodeCbor(value: CborValue): Uint8Array {
  const out = encoder.encode(canonical(value));
  return new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const MAJOR_SIMPLE = 7;
const SIMPLE_FALSE = 20;
const SIMPLE_TRUE = 21;

/**
 * Checks the item structure against the message profile (PROTOCOL.md §5.1 check 2) before any
 * value is looked at: exactly one item, no floating-point value (whatever its value: `f9 4000` is
 * 2.0 and still malformed), no tag, no simple value but false/true, no indefinite length.
 * Iterative (a count of items still to read), so nesting costs no stack.
 */
export function assertProfile(bytes: Uint8Array): void {
  const bad = (detail: string): never => {
    throw new ProtocolError('CBOR_MALFORMED', { detail });
  };
  let pos = 0;
  let pending = 1;
  while (pending > 0) {
    if (pos >= bytes.length) bad('truncated');
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const ai = initial & 0x1f;
    if (major === MAJOR_TAG) bad('a tag');
    if (major === MAJOR_SIMPLE && ai !== SIMPLE_FALSE && ai !== SIMPLE_TRUE)
      bad(ai >= 25 && ai <= 27 ? 'a floating-point value' : 'a simple value other than false/true');
    if (ai === 31) bad('an indefinite length');
    if (ai >= 28) bad('a reserved additional information value');
    let arg = ai;
    if (major !== MAJOR_SIMPLE && ai >= 24) {
      const size = 1 << (ai - 24);
      if (pos + size > bytes.length) bad('truncated');
      arg = 0;
      for (let i = 0; i < size; i++) arg = arg * 256 + bytes[pos++]!;
    }
    pending--;
    if (major === 2 || major === 3) {
      if (arg > bytes.length - pos) bad('truncated');
      pos += arg;
    } else if (major === MAJOR_ARRAY || major === MAJOR_MAP) {
      const items = major === MAJOR_MAP ? arg * 2 : arg;
      // Every item takes at least one byte: a count beyond the bytes left cannot be well formed.
      if (items > bytes.length - pos) bad('truncated');
      pending += items;
    }
  }
  if (pos !== bytes.length) bad('trailing bytes');
}

/** Decodes exactly one deterministic CBOR item; throws ProtocolError CBOR_MALFORMED. */
export function decodeCbor(bytes: Uint8Array): unknown {
  assertProfile(bytes);
  try {
    // normalize() recurses like the decoder: a pathological nesting depth fails here, as CBOR_MALFORMED.
    return normalize(decoder.decode(bytes));
  } catch (cause) {
    throw new ProtocolError('CBOR_MALFORMED', { detail: 'not one well-formed CBOR item', cause });
  }
}

/** Plain Uint8Array for byte strings (cbor-x may hand back a Buffer); everything else as is. */
function normalize(value: unknown): unknown {
  if (value instanceof Map) {
    const m = new Map<unknown, unknown>();
    for (const [k, v] of value) m.set(k, normalize(v));
    return m;
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Uint8Array && value.constructor !== Uint8Array) return new Uint8Array(value);
  return value;
}

/** Throws CBOR_MALFORMED unless `bytes` is exactly the deterministic encoding of `value`. */
export function assertDeterministic(bytes: Uint8Array, value: CborValue): void {
  let again: Uint8Array;
  try {
    again = encodeCbor(value);
  } catch (cause) {
    throw new ProtocolError('CBOR_MALFORMED', { detail: 'value cannot be encoded deterministically', cause });
  }
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) {
    throw new ProtocolError('CBOR_MALFORMED', { detail: 'not in deterministic encoding (RFC 8949 §4.2.1)' });
  }
}
