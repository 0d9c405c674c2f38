import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { ProtocolError, UsageError } from './errors.js';
import {
  DEFAULT_MAX_IN_FLIGHT,
  FIRST_FRAME_HEADER_BYTES,
  MAX_MESSAGE_BYTES,
  MessageIdCounter,
  REASSEMBLY_TIMEOUT_MS,
  Reassembler,
  frameCount,
  fragment,
  parseFrameHeader,
} from './framing.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const clock = () => {
  let t = 0;
  const now = () => t;
  return {
    now,
    advance: (ms: number) => {
      t += ms;
    },
  };
};
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError || e instanceof UsageError) return e.code;
    throw e;
  }
  return 'no error';
};

describe('crc32', () => {
  it('gives the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });
});

describe('fragment', () => {
  it('lays out the first frame as header, u16 length, u32 CRC, data', () => {
    const msg = bytes(30);
    const frames = fragment(msg, 20, 2);
    expect(frames.map((f) => f.length)).toEqual([20, 18]);
    expect(frames[0]![0]).toBe(0x80 | (2 << 4));
    expect(frames[1]![0]).toBe(0x40 | (2 << 4) | 1);
    const view = new DataView(frames[0]!.buffer);
    expect(view.getUint16(1)).toBe(30);
    expect(view.getUint32(3)).toBe(crc32(msg));
    expect(frameCount(30, 20)).toBe(2);
  });

  it('fills every frame but the last to the ATT payload', () => {
    for (const p of [20, 23, 182, 244, 509, 512]) {
      const frames = fragment(bytes(5000), p, 0);
      expect(frames.slice(0, -1).every((f) => f.length === p)).toBe(true);
      expect(frames.length).toBe(frameCount(5000, p));
    }
  });

  it('wraps the sequence modulo 16 and sets FIRST/LAST once each', () => {
    const frames = fragment(bytes(40 * 19), 20, 1);
    expect(frames.map((f) => f[0]! & 0x0f).slice(0, 18)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1,
    ]);
    expect(frames.filter((f) => f[0]! & 0x80).length).toBe(1);
    expect(frames.filter((f) => f[0]! & 0x40).length).toBe(1);
  });

  it('refuses bad arguments as usage errors', () => {
    expect(codeOf(() => fragment(bytes(10), 19, 0))).toBe('CONFIG_INVALID');
    expect(codeOf(() => fragment(bytes(10), 513, 0))).toBe('CONFIG_INVALID');
    expect(codeOf(() => fragment(bytes(10), 20, 4))).toBe('INTERNAL');
    expect(codeOf(() => fragment(new Uint8Array(), 20, 0))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => fragment(bytes(MAX_MESSAGE_BYTES + 1), 512, 0))).toBe('MESSAGE_TOO_LARGE');
    expect(fragment(bytes(MAX_MESSAGE_BYTES), 512, 0).length).toBe(frameCount(MAX_MESSAGE_BYTES, 512));
  });
});

describe('Reassembler', () => {
  it('reassembles a message and reports it once', () => {
    const r = new Reassembler({ now: () => 0 });
    const msg = bytes(1000);
    const frames = fragment(msg, 20, 3);
    frames.slice(0, -1).forEach((f) => expect(r.push(f)).toBeUndefined());
    expect(r.push(frames.at(-1)!)).toEqual(msg);
    expect(r.inFlight).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('interleaves up to maxInFlight messages', () => {
    const r = new Reassembler({ now: () => 0 });
    const a = fragment(bytes(100, 1), 20, 0);
    const b = fragment(bytes(100, 2), 20, 1);
    const out: Uint8Array[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      for (const f of [a[i], b[i]])
        if (f) {
          const m = r.push(f);
          if (m) out.push(m);
        }
    }
    expect(out).toEqual([bytes(100, 1), bytes(100, 2)]);
  });

  it('rejects a frame out of order (gap) with FRAME_OUT_OF_ORDER and drops the partial', () => {
    const r = new Reassembler({ now: () => 0 });
    const f = fragment(bytes(100), 20, 0);
    r.push(f[0]!);
    r.push(f[1]!);
    expect(codeOf(() => r.push(f[3]!))).toBe('FRAME_OUT_OF_ORDER');
    expect(r.inFlight).toBe(0);
    expect(codeOf(() => r.push(f[4]!))).toBe('FRAME_OUT_OF_ORDER');
  });

  it('rejects a repeated frame with FRAME_DUPLICATE', () => {
    const r = new Reassembler({ now: () => 0 });
    const f = fragment(bytes(100), 20, 0);
    r.push(f[0]!);
    r.push(f[1]!);
    expect(codeOf(() => r.push(f[1]!))).toBe('FRAME_DUPLICATE');
  });

  it('rejects a second first frame for an incomplete message with FRAME_DUPLICATE', () => {
    const r = new Reassembler({ now: () => 0 });
    const f = fragment(bytes(100), 20, 0);
    r.push(f[0]!);
    expect(codeOf(() => r.push(f[0]!))).toBe('FRAME_DUPLICATE');
    // the sender may then restart the message from its first frame
    let out: Uint8Array | undefined;
    for (const x of f) out = r.push(x);
    expect(out).toEqual(bytes(100));
  });

  it('rejects a continuation without a first frame', () => {
    const r = new Reassembler({ now: () => 0 });
    expect(codeOf(() => r.push(fragment(bytes(100), 20, 0)[1]!))).toBe('FRAME_OUT_OF_ORDER');
  });

  it('rejects more data than the declared length with MESSAGE_TOO_LARGE', () => {
    const r = new Reassembler({ now: () => 0 });
    const f = fragment(bytes(30), 20, 0); // frames of 13 + 17 data bytes
    const longer = new Uint8Array(19);
    longer.set(f[1]!);
    longer[0] = 0x40 | 1;
    r.push(f[0]!);
    expect(codeOf(() => r.push(longer))).toBe('MESSAGE_TOO_LARGE');
  });

  it('rejects a declared length above the limit with MESSAGE_TOO_LARGE', () => {
    const f = fragment(bytes(100), 20, 0);
    expect(codeOf(() => new Reassembler({ now: () => 0, maxMessageBytes: 99 }).push(f[0]!))).toBe('MESSAGE_TOO_LARGE');
    const huge = Uint8Array.of(0x80, 0x40, 0x01, 0, 0, 0, 0, 1); // 16,385 bytes declared
    expect(codeOf(() => new Reassembler({ now: () => 0 }).push(huge))).toBe('MESSAGE_TOO_LARGE');
  });

  it('rejects a wrong LAST flag with FRAME_MALFORMED', () => {
    const r = new Reassembler({ now: () => 0 });
    const f = fragment(bytes(40), 20, 0);
    const earlyLast = Uint8Array.from(f[1]!);
    earlyLast[0]! |= 0x40;
    r.push(f[0]!);
    expect(codeOf(() => r.push(earlyLast))).toBe('FRAME_MALFORMED');
    r.push(f[0]!);
    r.push(f[1]!);
    const noLast = Uint8Array.from(f[2]!);
    noLast[0]! &= ~0x40;
    expect(codeOf(() => r.push(noLast))).toBe('FRAME_MALFORMED');
  });

  it('rejects a corrupted message with FRAME_INTEGRITY', () => {
    const r = new Reassembler({ now: () => 0 });
    const f = fragment(bytes(40), 20, 0);
    f[1]![5]! ^= 0x01;
    r.push(f[0]!);
    r.push(f[1]!);
    expect(codeOf(() => r.push(f[2]!))).toBe('FRAME_INTEGRITY');
  });

  it('rejects malformed frames with FRAME_MALFORMED', () => {
    const r = new Reassembler({ now: () => 0 });
    expect(codeOf(() => r.push(new Uint8Array()))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => r.push(Uint8Array.of(0x00)))).toBe('FRAME_MALFORMED'); // header only
    expect(codeOf(() => r.push(Uint8Array.of(0x80, 0, 1, 0, 0, 0, 0)))).toBe('FRAME_MALFORMED'); // first frame without data
    expect(codeOf(() => r.push(Uint8Array.of(0x81, 0, 1, 0, 0, 0, 0, 9)))).toBe('FRAME_MALFORMED'); // first frame, seq 1
    expect(codeOf(() => r.push(Uint8Array.of(0xc0, 0, 0, 0, 0, 0, 0, 9)))).toBe('FRAME_MALFORMED'); // total length 0
    expect(codeOf(() => r.push(new Uint8Array(513)))).toBe('FRAME_MALFORMED');
    expect(codeOf(() => parseFrameHeader(Uint8Array.of(0x80, 0, 5)))).toBe('FRAME_MALFORMED');
  });

  it('rejects a message beyond maxInFlight with TOO_MANY_IN_FLIGHT', () => {
    const r = new Reassembler({ now: () => 0 });
    expect(DEFAULT_MAX_IN_FLIGHT).toBe(2);
    r.push(fragment(bytes(100), 20, 0)[0]!);
    r.push(fragment(bytes(100), 20, 1)[0]!);
    expect(codeOf(() => r.push(fragment(bytes(100), 20, 2)[0]!))).toBe('TOO_MANY_IN_FLIGHT');
    expect(r.inFlight).toBe(2);
  });

  it('expires a partial message after the timeout with MESSAGE_TIMEOUT', () => {
    const c = clock();
    const r = new Reassembler({ now: c.now });
    const f = fragment(bytes(100), 20, 0);
    r.push(f[0]!);
    expect(r.nextDeadline()).toBe(REASSEMBLY_TIMEOUT_MS);
    c.advance(REASSEMBLY_TIMEOUT_MS - 1);
    r.push(f[1]!);
    expect(r.expire()).toEqual([]);
    c.advance(1);
    expect(codeOf(() => r.push(f[2]!))).toBe('MESSAGE_TIMEOUT');
    expect(r.inFlight).toBe(0);
    r.push(f[0]!);
    c.advance(REASSEMBLY_TIMEOUT_MS);
    const errors = r.expire();
    expect(errors.map((e) => e.code)).toEqual(['MESSAGE_TIMEOUT']);
    expect(r.nextDeadline()).toBeUndefined();
  });

  it('drops everything on reset (disconnect)', () => {
    const r = new Reassembler({ now: () => 0 });
    r.push(fragment(bytes(100), 20, 0)[0]!);
    r.reset();
    expect(r.inFlight).toBe(0);
  });

  it('validates its options', () => {
    expect(codeOf(() => new Reassembler({ now: () => 0, maxInFlight: 5 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => new Reassembler({ now: () => 0, maxInFlight: 0 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => new Reassembler({ now: () => 0, maxMessageBytes: MAX_MESSAGE_BYTES + 1 }))).toBe(
      'CONFIG_INVALID',
    );
    expect(codeOf(() => new Reassembler({ now: () => 0, timeoutMs: 0 }))).toBe('CONFIG_INVALID');
  });

  it('hands out message ids 0-3 in turn', () => {
    const ids = new MessageIdCounter();
    expect([0, 0, 0, 0, 0].map(() => ids.take())).toEqual([0, 1, 2, 3, 0]);
  });
});

/** Short messages byte by byte from fast-check; long ones (up to 3,000 bytes) from a seeded generator, for speed. */
const anyMessage = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
  fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer()).map(([n, seed]) => {
    let x = seed | 1;
    return Uint8Array.from({ length: n }, () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x & 0xff;
    });
  }),
);

describe('fragment + reassemble (property)', () => {
  it('round-trips any message at every ATT payload 20..512', () => {
    const r = new Reassembler({ now: () => 0 });
    for (let payload = 20; payload <= 512; payload++) {
      fc.assert(
        fc.property(anyMessage, fc.integer({ min: 0, max: 3 }), (msg, id) => {
          const frames = fragment(msg, payload, id);
          let out: Uint8Array | undefined;
          for (let i = 0; i < frames.length; i++) {
            if (frames[i]!.length > payload) return false;
            out = r.push(frames[i]!);
            if (i < frames.length - 1 && out !== undefined) return false;
          }
          return out !== undefined && out.length === msg.length && out.every((b, k) => b === msg[k]);
        }),
        { numRuns: 20, seed: payload },
      );
    }
  });

  it('round-trips messages up to the maximum size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_MESSAGE_BYTES }), fc.integer({ min: 20, max: 512 }), (n, payload) => {
        const msg = bytes(n, n);
        const r = new Reassembler({ now: () => 0 });
        let out: Uint8Array | undefined;
        for (const f of fragment(msg, payload, 0)) out = r.push(f);
        expect(out!.length).toBe(n);
        expect(out!.every((b, k) => b === msg[k])).toBe(true);
        expect(frameCount(n, payload)).toBe(
          n <= payload - FIRST_FRAME_HEADER_BYTES
            ? 1
            : 1 + Math.ceil((n - payload + FIRST_FRAME_HEADER_BYTES) / (payload - 1)),
        );
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});
