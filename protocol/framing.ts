/**
 * Chunk framing, sans I/O (PROTOCOL.md §4): one message (1 to MAX_MESSAGE_BYTES bytes) is cut into
 * frames that each fit one ATT payload (20-512 bytes); the receiver reassembles them with bounded
 * memory and rejects every irregularity with a precise error code.
 *
 *   frame   = header (1 byte) [first-frame fields] data (1+ bytes)
 *   header  = FIRST (bit 7) | LAST (bit 6) | message id (bits 5-4) | sequence mod 16 (bits 3-0)
 *   first   = total length (u16 BE) || CRC-32 of the whole message (u32 BE)
 *
 * Continuation frames cost one byte; only the first frame carries length and integrity.
 */
import { crc32 } from './crc32.js';
import { ProtocolError, UsageError } from './errors.js';
import { MAX_ATT_PAYLOAD, MIN_ATT_PAYLOAD } from './gatt.js';
import type { Clock } from './clock.js';

/** Largest message the framing carries, in bytes (after sealing). PROTOCOL.md §4.1. */
export const MAX_MESSAGE_BYTES = 16_384;
/** Header byte of every frame. */
export const FRAME_HEADER_BYTES = 1;
/** Extra bytes of a first frame: total length (2) + CRC-32 (4). */
export const FIRST_FRAME_EXTRA_BYTES = 6;
export const FIRST_FRAME_HEADER_BYTES = FRAME_HEADER_BYTES + FIRST_FRAME_EXTRA_BYTES;
/** Message ids 0-3 (two header bits); a sender uses them in turn. */
export const MESSAGE_ID_COUNT = 4;
/** Sequence numbers are carried modulo 16 (four header bits). */
export const SEQUENCE_MODULUS = 16;
/** Default and largest number of partially received messages per reassembler. */
export const DEFAULT_MAX_IN_FLIGHT = 2;
export const MAX_IN_FLIGHT_LIMIT = MESSAGE_ID_COUNT;
/** A partial message older than this (from its first frame) is dropped: MESSAGE_TIMEOUT. */
export const REASSEMBLY_TIMEOUT_MS = 60_000;

export const FLAG_FIRST = 0x80;
export const FLAG_LAST = 0x40;

function checkPayload(attPayload: number): void {
  if (!Number.isInteger(attPayload) || attPayload < MIN_ATT_PAYLOAD || attPayload > MAX_ATT_PAYLOAD) {
    throw new UsageError('CONFIG_INVALID', {
      detail: `ATT payload must be an integer ${MIN_ATT_PAYLOAD}-${MAX_ATT_PAYLOAD}, got ${attPayload}`,
    });
  }
}

/** Number of frames {@link fragment} produces for a message of `length` bytes. */
export function frameCount(length: number, attPayload: number): number {
  checkPayload(attPayload);
  const firstData = attPayload - FIRST_FRAME_HEADER_BYTES;
  if (length <= firstData) return 1;
  return 1 + Math.ceil((length - firstData) / (attPayload - FRAME_HEADER_BYTES));
}

/**
 * Cuts one message into frames of at most `attPayload` bytes each (every frame but the last is
 * exactly `attPayload` bytes). `messageId` is 0-3.
 */
export function fragment(message: Uint8Array, attPayload: number, messageId: number): Uint8Array[] {
  checkPayload(attPayload);
  if (!Number.isInteger(messageId) || messageId < 0 || messageId >= MESSAGE_ID_COUNT) {
    throw new UsageError('INTERNAL', { detail: `message id must be 0-${MESSAGE_ID_COUNT - 1}` });
  }
  if (message.length < 1) throw new UsageError('MESSAGE_INVALID', { detail: 'a message has at least 1 byte' });
  if (message.length > MAX_MESSAGE_BYTES) {
    throw new UsageError('MESSAGE_TOO_LARGE', { detail: `${message.length} bytes > ${MAX_MESSAGE_BYTES}` });
  }
  const frames: Uint8Array[] = [];
  let offset = 0;
  let seq = 0;
  while (offset < message.length) {
    const first = seq === 0;
    const room = attPayload - (first ? FIRST_FRAME_HEADER_BYTES : FRAME_HEADER_BYTES);
    const take = Math.min(room, message.length - offset);
    const last = offset + take === message.length;
    const headerLen = first ? FIRST_FRAME_HEADER_BYTES : FRAME_HEADER_BYTES;
    const frame = new Uint8Array(headerLen + take);
    frame[0] = (first ? FLAG_FIRST : 0) | (last ? FLAG_LAST : 0) | (messageId << 4) | (seq % SEQUENCE_MODULUS);
    if (first) {
      const view = new DataView(frame.buffer);
      view.setUint16(1, message.length, false);
      view.setUint32(3, crc32(message), false);
    }
    frame.set(message.subarray(offset, offset + take), headerLen);
    frames.push(frame);
    offset += take;
    seq++;
  }
  return frames;
}

/** A parsed frame header (PROTOCOL.md §4.2). */
interface FrameHeaderCommon {
  readonly last: boolean;
  readonly messageId: number;
  readonly sequence: number;
  /** Offset of the data in the frame. */
  readonly dataOffset: number;
}

/** A first frame carries the message's total length and CRC; a continuation does not. */
export interface FirstFrameHeader extends FrameHeaderCommon {
  readonly first: true;
  readonly totalLength: number;
  readonly crc: number;
}

export type FrameHeader = FirstFrameHeader | (FrameHeaderCommon & { readonly first: false });

/** Parses and checks one frame's header on its own; throws FRAME_MALFORMED or MESSAGE_TOO_LARGE. */
export function parseFrameHeader(frame: Uint8Array): FrameHeader {
  if (frame.length > MAX_ATT_PAYLOAD)
    throw new ProtocolError('FRAME_MALFORMED', { detail: `frame of ${frame.length} bytes > ${MAX_ATT_PAYLOAD}` });
  if (frame.length < FRAME_HEADER_BYTES + 1)
    throw new ProtocolError('FRAME_MALFORMED', { detail: 'frame without data' });
  const h = frame[0]!;
  const last = (h & FLAG_LAST) !== 0;
  const messageId = (h >> 4) & 0x3;
  const sequence = h & 0x0f;
  if ((h & FLAG_FIRST) === 0) return { first: false, last, messageId, sequence, dataOffset: FRAME_HEADER_BYTES };
  if (frame.length < FIRST_FRAME_HEADER_BYTES + 1)
    throw new ProtocolError('FRAME_MALFORMED', { detail: 'first frame too short' });
  if (sequence !== 0) throw new ProtocolError('FRAME_MALFORMED', { detail: 'first frame with a nonzero sequence' });
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const totalLength = view.getUint16(1, false);
  const crc = view.getUint32(3, false);
  if (totalLength === 0) throw new ProtocolError('FRAME_MALFORMED', { detail: 'total length 0' });
  if (totalLength > MAX_MESSAGE_BYTES)
    throw new ProtocolError('MESSAGE_TOO_LARGE', { detail: `${totalLength} bytes > ${MAX_MESSAGE_BYTES}` });
  return { first: true, last, messageId, sequence, totalLength, crc, dataOffset: FIRST_FRAME_HEADER_BYTES };
}

export interface ReassemblerOptions {
  /** Milliseconds from any fixed origin; injected (no timers in protocol/). */
  readonly now: Clock;
  /** Partial messages held at once, 1-4 (default {@link DEFAULT_MAX_IN_FLIGHT}). */
  readonly maxInFlight?: number;
  /** Largest message accepted, bytes, 1-{@link MAX_MESSAGE_BYTES} (default the maximum). */
  readonly maxMessageBytes?: number;
  /** Partial message lifetime from its first frame, ms (default {@link REASSEMBLY_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

interface Partial {
  readonly total: number;
  readonly crc: number;
  readonly startedAt: number;
  readonly buffer: Uint8Array;
  received: number;
  nextSeq: number;
}

/**
 * Reassembles frames of one channel. `push` returns the completed message or undefined, or throws
 * a ProtocolError; after an error the offending message id's partial message is dropped (the sender
 * restarts that message from its first frame), other partial messages are kept.
 *
 * Memory: at most `maxInFlight * maxMessageBytes` bytes are ever buffered ({@link bufferedBytes}
 * counts bytes received; the buffer of a partial message is allocated at its declared total length,
 * which is already bounded by `maxMessageBytes`).
 */
export class Reassembler {
  readonly maxInFlight: number;
  readonly maxMessageBytes: number;
  readonly timeoutMs: number;
  private readonly now: Clock;
  private readonly partials = new Map<number, Partial>();

  constructor(options: ReassemblerOptions) {
    this.now = options.now;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.timeoutMs = options.timeoutMs ?? REASSEMBLY_TIMEOUT_MS;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1 || this.maxInFlight > MAX_IN_FLIGHT_LIMIT) {
      throw new UsageError('CONFIG_INVALID', { detail: `maxInFlight must be 1-${MAX_IN_FLIGHT_LIMIT}` });
    }
    if (
      !Number.isInteger(this.maxMessageBytes) ||
      this.maxMessageBytes < 1 ||
      this.maxMessageBytes > MAX_MESSAGE_BYTES
    ) {
      throw new UsageError('CONFIG_INVALID', { detail: `maxMessageBytes must be 1-${MAX_MESSAGE_BYTES}` });
    }
    if (!(this.timeoutMs > 0)) throw new UsageError('CONFIG_INVALID', { detail: 'timeoutMs must be positive' });
  }

  /** Most bytes that can ever be held: the memory bound. */
  get bufferLimit(): number {
    return this.maxInFlight * this.maxMessageBytes;
  }

  /** Bytes currently allocated for partial messages (sum of their declared total lengths). */
  get bufferedBytes(): number {
    let n = 0;
    for (const p of this.partials.values()) n += p.total;
    return n;
  }

  /** Number of partial messages held. */
  get inFlight(): number {
    return this.partials.size;
  }

  /** When the oldest partial message expires (ms, same clock), for the caller's timer; or undefined. */
  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const p of this.partials.values()) {
      const t = p.startedAt + this.timeoutMs;
      if (d === undefined || t < d) d = t;
    }
    return d;
  }

  /**
   * Drops partial messages past the timeout and returns one MESSAGE_TIMEOUT error per dropped
   * message (for the caller to report); `push` also does this first.
   */
  expire(): ProtocolError[] {
    return [...this.expireById().values()];
  }

  private expireById(): Map<number, ProtocolError> {
    const now = this.now();
    const errors = new Map<number, ProtocolError>();
    for (const [id, p] of this.partials) {
      if (now - p.startedAt >= this.timeoutMs) {
        this.partials.delete(id);
        errors.set(
          id,
          new ProtocolError('MESSAGE_TIMEOUT', {
            detail: `message ${id}: ${p.received} of ${p.total} bytes after ${this.timeoutMs} ms`,
          }),
        );
      }
    }
    return errors;
  }

  /** Drops every partial message: call it on disconnect (PROTOCOL.md §4.5, no resumption). */
  reset(): void {
    this.partials.clear();
  }

  /** Takes one frame; returns the whole message when this frame completes it. */
  push(frame: Uint8Array): Uint8Array | undefined {
    const expired = this.expireById();
    const header = parseFrameHeader(frame);
    const id = header.messageId;
    const data = frame.subarray(header.dataOffset);
    if (header.first) return this.start(id, header, data);
    const p = this.partials.get(id);
    if (p === undefined) {
      const timedOut = expired.get(id);
      if (timedOut) throw timedOut;
      throw new ProtocolError('FRAME_OUT_OF_ORDER', { detail: `message ${id}: continuation without a first frame` });
    }
    const expected = p.nextSeq % SEQUENCE_MODULUS;
    if (header.sequence !== expected) {
      this.partials.delete(id);
      const previous = (p.nextSeq - 1) % SEQUENCE_MODULUS;
      if (header.sequence === previous)
        throw new ProtocolError('FRAME_DUPLICATE', { detail: `message ${id}: sequence ${header.sequence} again` });
      throw new ProtocolError('FRAME_OUT_OF_ORDER', {
        detail: `message ${id}: sequence ${header.sequence}, expected ${expected}`,
      });
    }
    return this.append(id, p, header.last, data);
  }

  private start(id: number, header: FirstFrameHeader, data: Uint8Array): Uint8Array | undefined {
    const total = header.totalLength;
    if (total > this.maxMessageBytes)
      throw new ProtocolError('MESSAGE_TOO_LARGE', { detail: `${total} bytes > ${this.maxMessageBytes}` });
    if (this.partials.has(id)) {
      this.partials.delete(id);
      throw new ProtocolError('FRAME_DUPLICATE', {
        detail: `message ${id}: a second first frame while it is incomplete`,
      });
    }
    if (this.partials.size >= this.maxInFlight) {
      throw new ProtocolError('TOO_MANY_IN_FLIGHT', {
        detail: `${this.partials.size} messages already incomplete (limit ${this.maxInFlight})`,
      });
    }
    const p: Partial = {
      total,
      crc: header.crc,
      startedAt: this.now(),
      buffer: new Uint8Array(total),
      received: 0,
      nextSeq: 1,
    };
    this.partials.set(id, p);
    return this.append(id, p, header.last, data, true);
  }

  private append(id: number, p: Partial, last: boolean, data: Uint8Array, isFirst = false): Uint8Array | undefined {
    if (p.received + data.length > p.total) {
      this.partials.delete(id);
      throw new ProtocolError('MESSAGE_TOO_LARGE', {
        detail: `message ${id}: more than the declared ${p.total} bytes`,
      });
    }
    p.buffer.set(data, p.received);
    p.received += data.length;
    if (!isFirst) p.nextSeq++;
    const complete = p.received === p.total;
    if (complete !== last) {
      this.partials.delete(id);
      throw new ProtocolError('FRAME_MALFORMED', {
        detail: last
          ? `message ${id}: last frame after ${p.received} of ${p.total} bytes`
          : `message ${id}: all ${p.total} bytes received without the last flag`,
      });
    }
    if (!complete) return undefined;
    this.partials.delete(id);
    if (crc32(p.buffer) !== p.crc)
      throw new ProtocolError('FRAME_INTEGRITY', { detail: `message ${id}: CRC-32 mismatch` });
    return p.buffer;
  }
}

/** Hands out message ids 0, 1, 2, 3, 0, ... for one sending channel. */
export class MessageIdCounter {
  private next = 0;
  take(): number {
    const id = this.next;
    this.next = (this.next + 1) % MESSAGE_ID_COUNT;
    return id;
  }
}
