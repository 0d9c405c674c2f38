import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from './codec.js';

describe('fleet API CBOR payloads', () => {
  it('writes every map header in its shortest form (RFC 8949 §4.1 preferred serialization)', () => {
    // {"certificateOwnershipToken": "t"}: a map of one pair is 0xa1, not cbor-x's default 0xb9 0x00 0x01.
    const one = encodePayload('cbor', { certificateOwnershipToken: 't' });
    expect(one[0]).toBe(0xa1);
    const nested = encodePayload('cbor', { thingName: 'x', deviceConfiguration: { a: '1', b: '2' } });
    expect(nested.toString('hex')).toBe(
      'a2697468696e674e616d65617873646576696365436f6e66696775726174696f6ea26161613161626132',
    );
    expect(decodePayload('cbor', nested)).toEqual({ thingName: 'x', deviceConfiguration: { a: '1', b: '2' } });
  });

  it('keeps JSON as JSON', () => {
    expect(encodePayload('json', { a: 1 }).toString()).toBe('{"a":1}');
  });
});
