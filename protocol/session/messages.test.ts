import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { textMatching } from '../../test/matchers.js';
import { initiator, makeDevice, responder } from '../../test/session/harness.js';
import { SecureChannel } from './channel.js';
import { decodeHandshake, encodeHandshake, MSG_ERROR, MSG_HELLO, MSG_PARAMS } from './messages.js';

const dev = makeDevice();

describe('handshake messages', () => {
  it('encode canonically as documented in SESSION.md', () => {
    const hello = encodeHandshake({ type: MSG_HELLO, version: 1, context: new Uint8Array(32).fill(0xaa) });
    expect([...hello.subarray(0, 5)]).toEqual([0x83, 0x01, 0x01, 0x58, 0x20]);
    expect(hello.length).toBe(37);
    const params = encodeHandshake({ type: MSG_PARAMS, iterations: 10_000, salt: new Uint8Array(16) });
    expect([...params.subarray(0, 6)]).toEqual([0x83, 0x02, 0x19, 0x27, 0x10, 0x50]);
    expect([...encodeHandshake({ type: MSG_ERROR, wire: 0x0204, retryAfterMs: 60_000 })]).toEqual([
      0x83, 0x07, 0x19, 0x02, 0x04, 0x19, 0xea, 0x60,
    ]);
  });

  it('reject non-canonical encodings and trailing bytes', () => {
    const done = Uint8Array.of(0x81, 0x06);
    expect(decodeHandshake(done)).toEqual({ type: 6 });
    for (const bad of [
      Uint8Array.of(0x81, 0x18, 0x06),
      Uint8Array.of(0x81, 0x06, 0x00),
      Uint8Array.of(0x9f, 0x06, 0xff),
      Uint8Array.of(0xa1, 0x01, 0x06),
    ]) {
      expect(() => decodeHandshake(bad)).toThrow(expect.objectContaining({ code: 'SESSION_HANDSHAKE_INVALID' }));
    }
  });

  it('any bytes: decode either round-trips exactly or fails with SESSION_HANDSHAKE_INVALID (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), (bytes) => {
        try {
          // As byte lists: cbor-x caches a DataView on the input array (a 'dataView' property), which
          // toEqual would count as a difference.
          expect([...encodeHandshake(decodeHandshake(bytes))]).toEqual([...bytes]);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe('SESSION_HANDSHAKE_INVALID');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the state machines never throw on peer input, they fail with a code (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const d = responder({ verifier: dev.verifier }).device.receive(bytes);
        expect(d.status === 'failed' ? d.error.code : 'ok').toMatch(/^(SESSION_|VERSION_)/);
        const phone = initiator({ setupCode: dev.code });
        phone.start();
        const p = phone.receive(bytes);
        expect(p.status === 'failed' ? p.error.code : 'ok').toMatch(/^(SESSION_|VERSION_|STORAGE_)/);
      }),
      { numRuns: 300 },
    );
  });

  it('a channel rejects arbitrary bytes with a SESSION_ code (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const ch = SecureChannel.fromSharedKey(new Uint8Array(32), 'device');
        expect(() => ch.open(1, bytes)).toThrow(
          expect.objectContaining({ code: textMatching(/^SESSION_(TAMPERED|TRUNCATED)$/) }),
        );
      }),
      { numRuns: 500 },
    );
  });
});
