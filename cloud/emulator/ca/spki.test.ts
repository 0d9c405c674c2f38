import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encode, readWhole, TAG } from './der.js';
import { importSpki } from './spki.js';

const spkiOf = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });
/** What OpenSSL's own decoder makes of the same bytes. */
const fromDer = (der: Buffer): KeyObject => createPublicKey({ key: der, format: 'der', type: 'spki' });

describe('importSpki: a request key from its parts, the same key as the DER decoder makes', () => {
  it.each(['prime256v1', 'secp384r1', 'secp521r1'])('EC %s', (namedCurve) => {
    const der = spkiOf(generateKeyPairSync('ec', { namedCurve }).publicKey);
    const imported = importSpki(readWhole(der, TAG.sequence));
    expect(imported.keyType).toBe('ec');
    expect(imported.namedCurve).toBe(namedCurve);
    expect(imported.key.equals(fromDer(der))).toBe(true);
  });

  it.each([1024, 2048, 3072])('RSA %i bits (the size is what the caller judges)', (modulusLength) => {
    const der = spkiOf(generateKeyPairSync('rsa', { modulusLength }).publicKey);
    const imported = importSpki(readWhole(der, TAG.sequence));
    expect(imported).toMatchObject({ keyType: 'rsa', modulusLength });
    expect(imported.key.equals(fromDer(der))).toBe(true);
  });

  it('a compressed EC point goes to the DER decoder, which reads it', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const point = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
    const y = Buffer.from(key.export({ format: 'jwk' }).y as string, 'base64url');
    const prefix = (y[31] as number) & 1 ? 0x03 : 0x02;
    const algorithm = readWhole(spkiOf(key), TAG.sequence).content.subarray(0, 21); // the AlgorithmIdentifier
    const der = encode(TAG.sequence, algorithm, encode(TAG.bitString, Buffer.of(0, prefix), point));
    const imported = importSpki(readWhole(der, TAG.sequence));
    expect(imported).toMatchObject({ keyType: 'ec', namedCurve: 'prime256v1' });
    expect(imported.key.equals(key)).toBe(true);
  });

  it('a point off its curve is refused, as the DER decoder refuses it', () => {
    const der = Buffer.from(spkiOf(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey));
    der.writeUInt8(der.readUInt8(der.length - 1) ^ 1, der.length - 1);
    expect(() => fromDer(der)).toThrow();
    expect(() => importSpki(readWhole(der, TAG.sequence))).toThrow();
  });

  it('an RSA modulus with a needless leading zero is left to the DER decoder', () => {
    const der = spkiOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
    const spki = readWhole(der, TAG.sequence);
    const algorithm = spki.content.subarray(0, 15);
    const body = readWhole(spki.content.subarray(15 + 5), TAG.sequence); // BIT STRING header (4) + unused-bits byte
    const n = readWhole(body.content.subarray(0, 4 + 257), TAG.integer);
    const e = body.content.subarray(n.bytes.length);
    const padded = encode(TAG.integer, Buffer.of(0), n.content);
    const bad = encode(TAG.sequence, algorithm, encode(TAG.bitString, Buffer.of(0), encode(TAG.sequence, padded, e)));
    let viaDer: unknown;
    try {
      viaDer = fromDer(bad);
    } catch (err) {
      viaDer = err;
    }
    if (viaDer instanceof Error) expect(() => importSpki(readWhole(bad, TAG.sequence))).toThrow();
    else expect(importSpki(readWhole(bad, TAG.sequence)).key.equals(viaDer as KeyObject)).toBe(true);
  });
});
