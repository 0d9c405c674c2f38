/**
 * A request's public key, imported from its SubjectPublicKeyInfo by the cheap route where there is
 * one. OpenSSL 3 decodes a DER SubjectPublicKeyInfo through its generic decoder framework, which
 * costs more than the rest of a CSR check: importing the same key from its parts as a JWK costs
 * 0.1 ms instead of 0.16 for a P-256 key and 8 µs instead of 0.16 ms for RSA (measured on Node 20),
 * and node:crypto still checks it (a point must lie on its curve). Keys in any other form (compressed
 * points, unusual encodings, other algorithms) are imported from the DER as before.
 */
import { createPublicKey } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { bitStringBytes, childrenOf, expectChildren, readWhole, TAG } from './der.js';
import type { Tlv } from './der.js';

/** A public key and what decides whether AWS IoT accepts it: its type and its curve or size. */
export interface SpkiKey {
  key: KeyObject;
  keyType: 'ec' | 'rsa';
  /** The curve's OpenSSL name (EC keys). */
  namedCurve?: string;
  /** The modulus size in bits (RSA keys). */
  modulusLength?: number;
}

const EC_PUBLIC_KEY = '2a8648ce3d0201'; // 1.2.840.10045.2.1
const RSA_ENCRYPTION = '2a864886f70d010101'; // 1.2.840.113549.1.1.1
/** Named curves by OID (DER content, hex): OpenSSL's name, JWK's, and the coordinate size in bytes. */
const CURVES = new Map<string, { namedCurve: string; crv: string; size: number }>([
  ['2a8648ce3d030107', { namedCurve: 'prime256v1', crv: 'P-256', size: 32 }], // 1.2.840.10045.3.1.7
  ['2b81040022', { namedCurve: 'secp384r1', crv: 'P-384', size: 48 }], // 1.3.132.0.34
  ['2b81040023', { namedCurve: 'secp521r1', crv: 'P-521', size: 66 }], // 1.3.132.0.35
]);

/** The key of a DER SubjectPublicKeyInfo; throws what createPublicKey throws for a bad one. */
export function importSpki(spki: Tlv): SpkiKey {
  return importByParts(spki) ?? importDer(spki.bytes);
}

function importDer(der: Buffer): SpkiKey {
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  const keyType = key.asymmetricKeyType === 'ec' ? 'ec' : key.asymmetricKeyType === 'rsa' ? 'rsa' : undefined;
  if (!keyType) return { key, keyType: 'rsa', modulusLength: 0 }; // neither: refused by the caller's rules
  return keyType === 'ec'
    ? { key, keyType, ...(details.namedCurve !== undefined ? { namedCurve: details.namedCurve } : {}) }
    : { key, keyType, modulusLength: details.modulusLength ?? 0 };
}

/** An uncompressed EC point on a named curve or an RSA key, as a JWK; undefined for anything else. */
function importByParts(spki: Tlv): SpkiKey | undefined {
  let algorithm: Tlv, bits: Tlv;
  try {
    [algorithm, bits] = expectChildren(spki, [TAG.sequence, TAG.bitString], true);
  } catch {
    return undefined;
  }
  const parts = childrenOrNone(algorithm);
  if (parts.length !== 2) return undefined;
  const [oid, parameters] = parts as [Tlv, Tlv];
  if (oid.tag !== TAG.oid) return undefined;
  const kind = oid.content.toString('hex');
  if (kind === EC_PUBLIC_KEY && parameters.tag === TAG.oid) return ecKey(parameters, bits);
  if (kind === RSA_ENCRYPTION && parameters.tag === TAG.null && parameters.content.length === 0) return rsaKey(bits);
  return undefined;
}

function childrenOrNone(tlv: Tlv): Tlv[] {
  try {
    return childrenOf(tlv);
  } catch {
    return [];
  }
}

function ecKey(curveOid: Tlv, bits: Tlv): SpkiKey | undefined {
  const curve = CURVES.get(curveOid.content.toString('hex'));
  const point = wholeBytes(bits);
  if (!curve || !point || point.length !== 1 + 2 * curve.size || point[0] !== 0x04) return undefined;
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: curve.crv,
    x: point.subarray(1, 1 + curve.size).toString('base64url'),
    y: point.subarray(1 + curve.size).toString('base64url'),
  };
  return { key: createPublicKey({ key: jwk, format: 'jwk' }), keyType: 'ec', namedCurve: curve.namedCurve };
}

function rsaKey(bits: Tlv): SpkiKey | undefined {
  const body = wholeBytes(bits);
  if (!body) return undefined;
  let n: Tlv, e: Tlv;
  try {
    [n, e] = expectChildren(readWhole(body, TAG.sequence), [TAG.integer, TAG.integer], true);
  } catch {
    return undefined;
  }
  const modulus = positiveMinimal(n.content);
  const exponent = positiveMinimal(e.content);
  if (!modulus || !exponent) return undefined;
  const jwk: JsonWebKey = { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') };
  const top = modulus[0] as number;
  return {
    key: createPublicKey({ key: jwk, format: 'jwk' }),
    keyType: 'rsa',
    modulusLength: (modulus.length - 1) * 8 + (32 - Math.clz32(top)),
  };
}

/** The BIT STRING's bytes when it holds whole bytes. */
function wholeBytes(bits: Tlv): Buffer | undefined {
  try {
    return bitStringBytes(bits);
  } catch {
    return undefined;
  }
}

/** A DER INTEGER's magnitude without its sign byte, if it is positive and minimally encoded. */
function positiveMinimal(content: Buffer): Buffer | undefined {
  const [first, second] = content;
  if (first === undefined || first & 0x80) return undefined; // empty or negative
  if (first !== 0) return content;
  if (second === undefined || !(second & 0x80)) return undefined; // zero, or a needless leading zero
  return content.subarray(1);
}
