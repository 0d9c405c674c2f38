/**
 * Fuzz (PROTOCOL.md §4.4, §5.1): 100,000+ random and mutated frames at the reassembler and the
 * decoder. Nothing but ProtocolError may escape, and the reassembler never holds more than its
 * bound. Seeded, so every run is the same.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtocolError } from './errors.js';
import { MAX_MESSAGE_BYTES, Reassembler, fragment } from './framing.js';
import { SAMPLES } from './vectors/samples.js';

/** xorshift32: small, fast, seeded. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return {
    next,
    below: (n: number) => next() % n,
    bytes: (n: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}

const FRAMES = 100_000;
const DECODER_INPUTS = 30_000;

describe('fuzz', () => {
  it(`survives ${FRAMES} random and mutated frames with bounded memory`, () => {
    const r = rng(0xc0ffee);
    let t = 0;
    const reassembler = new Reassembler({ now: () => t });
    const corpus = SAMPLES.map((s) => encodeMessage(s.message));
    const streams = corpus.flatMap((m) => [20, 182, 244, 509].map((p) => fragment(m, p, r.below(4))));
    const counts = new Map<string, number>();
    let completed = 0;
    let maxBuffered = 0;
    for (let i = 0; i < FRAMES; i++) {
      let frame: Uint8Array;
      const kind = r.below(10);
      if (kind < 3) {
        frame = r.bytes(r.below(520));
        if (kind === 0 && frame.length > 0) frame[0] = 0x80 | (frame[0]! & 0x30) | (0x40 * r.below(2)); // a plausible first frame
      } else {
        const stream = streams[r.below(streams.length)]!;
        frame = Uint8Array.from(stream[r.below(stream.length)]!);
        if (kind < 7 && frame.length > 0) {
          for (let k = 0; k <= r.below(3); k++) {
            const at = r.below(frame.length);
            frame[at] = frame[at]! ^ (1 << r.below(8));
          }
        } else if (kind === 7) {
          frame = frame.subarray(0, r.below(frame.length + 1));
        }
        // kind 8-9: replay a genuine frame as is (duplicates, out of order, interleaving)
      }
      if (r.below(1000) === 0) t += 30_000;
      try {
        const message = reassembler.push(frame);
        if (message) {
          completed++;
          try {
            decodeMessage(message);
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
          }
        }
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        counts.set(e.code, (counts.get(e.code) ?? 0) + 1);
      }
      const buffered = reassembler.bufferedBytes;
      if (buffered > maxBuffered) maxBuffered = buffered;
      if (buffered > reassembler.bufferLimit || reassembler.inFlight > reassembler.maxInFlight)
        throw new Error(`bound broken at frame ${i}`);
    }
    expect(reassembler.bufferLimit).toBe(2 * MAX_MESSAGE_BYTES);
    expect(maxBuffered).toBeLessThanOrEqual(reassembler.bufferLimit);
    // the fuzzer reached every framing error path
    for (const code of [
      'FRAME_MALFORMED',
      'FRAME_OUT_OF_ORDER',
      'FRAME_DUPLICATE',
      'MESSAGE_TOO_LARGE',
      'TOO_MANY_IN_FLIGHT',
      'FRAME_INTEGRITY',
    ]) {
      expect(counts.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    expect(completed).toBeGreaterThan(0);
    expect(maxBuffered).toBeGreaterThan(0);
  });

  it(`decoder: ${DECODER_INPUTS} more random and mutated messages raise only ProtocolError`, () => {
    const r = rng(42);
    const corpus = SAMPLES.map((s) => encodeMessage(s.message)).filter((m) => m.length < 1000);
    const codes = new Set<string>();
    let accepted = 0;
    for (let i = 0; i < DECODER_INPUTS; i++) {
      let input: Uint8Array;
      if (r.below(4) === 0) input = r.bytes(r.below(64));
      else {
        input = Uint8Array.from(corpus[r.below(corpus.length)]!);
        const op = r.below(3);
        if (op === 0) for (let k = 0; k <= r.below(4); k++) input[r.below(input.length)] = r.next() & 0xff;
        else if (op === 1) input = input.subarray(0, r.below(input.length));
        else {
          const at = r.below(input.length);
          input = Uint8Array.from([...input.subarray(0, at), r.next() & 0xff, ...input.subarray(at)]);
        }
      }
      try {
        decodeMessage(input);
        accepted++;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        codes.add(e.code);
      }
    }
    expect([...codes].sort()).toEqual(expect.arrayContaining(['CBOR_MALFORMED', 'MESSAGE_INVALID']));
    expect(accepted).toBeGreaterThan(0);
  });
});
