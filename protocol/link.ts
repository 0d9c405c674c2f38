/**
 * A message link for one characteristic (PROTOCOL.md §4.6), sans I/O. It composes
 *   send:    message -> CBOR (codec) -> seal (MessageCipher, sealed channels) -> frames
 *   receive: frame -> reassemble -> open -> decode + validate -> message
 * and checks that the message type belongs on this characteristic (WRONG_CHANNEL). The caller moves
 * frames to and from GATT and owns the timer: call `expire()` at `nextDeadline()`.
 */
import type { MessageCipher } from './cipher.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { ProtocolError, UsageError } from './errors.js';
import { MAX_MESSAGE_BYTES, MessageIdCounter, Reassembler, fragment } from './framing.js';
import {
  CHARACTERISTICS,
  MAX_ATT_PAYLOAD,
  MAX_HANDSHAKE_MESSAGE_BYTES,
  MAX_READ_VALUE_BYTES,
  MIN_ATT_PAYLOAD,
  type CharacteristicName,
} from './gatt.js';
import type { Message, MessageType } from './messages.js';
import { decodeErrorNotice, encodeErrorNotice, ERROR_NOTICE_CHARACTERISTIC, isErrorNotice } from './notice.js';
import type { ErrorCode } from './errors.js';
import type { Clock } from './clock.js';

/** Message types each characteristic carries (PROTOCOL.md §2). `session` carries raw handshake bytes. */
export const CHANNEL_MESSAGE_TYPES: Readonly<Record<CharacteristicName, readonly MessageType[]>> = {
  info: ['info'],
  session: [],
  wifi: ['wifi'],
  claim: ['claim'],
  control: ['control'],
  status: ['status'],
  scan: ['scan'],
};

/**
 * Largest framed message each characteristic accepts (PROTOCOL.md §4.1): a first frame declaring
 * more is MESSAGE_TOO_LARGE at once. `session` carries only handshake messages (SESSION.md §6.3).
 */
export const CHARACTERISTIC_MAX_MESSAGE_BYTES: Readonly<Record<CharacteristicName, number>> = {
  info: MAX_READ_VALUE_BYTES,
  session: MAX_HANDSHAKE_MESSAGE_BYTES,
  wifi: MAX_MESSAGE_BYTES,
  claim: MAX_MESSAGE_BYTES,
  control: MAX_MESSAGE_BYTES,
  status: MAX_MESSAGE_BYTES,
  scan: MAX_MESSAGE_BYTES,
};

export interface MessageLinkOptions {
  readonly characteristic: CharacteristicName;
  /** ATT payload in bytes (ATT_MTU - 3), 20-512; change it with `setAttPayload` after the MTU exchange. */
  readonly attPayload: number;
  /** Injected clock, ms. */
  readonly now: Clock;
  /** The session's cipher, once established (`setCipher`). */
  readonly cipher?: MessageCipher;
  /** Whether messages must be sealed; defaults to the characteristic's rule (PROTOCOL.md §2). */
  readonly sealed?: boolean;
  readonly maxInFlight?: number;
  readonly maxMessageBytes?: number;
  readonly timeoutMs?: number;
}

export class MessageLink {
  readonly characteristic: CharacteristicName;
  readonly channel: number;
  readonly sealed: boolean;
  private attPayload: number;
  private cipher: MessageCipher | undefined;
  private readonly ids = new MessageIdCounter();
  private readonly reassembler: Reassembler;

  constructor(options: MessageLinkOptions) {
    const spec = CHARACTERISTICS[options.characteristic];
    this.characteristic = options.characteristic;
    this.channel = spec.channel;
    this.sealed = options.sealed ?? spec.sealed;
    this.cipher = options.cipher;
    this.attPayload = MIN_ATT_PAYLOAD;
    this.setAttPayload(options.attPayload);
    this.reassembler = new Reassembler({
      now: options.now,
      ...(options.maxInFlight !== undefined && { maxInFlight: options.maxInFlight }),
      maxMessageBytes: options.maxMessageBytes ?? CHARACTERISTIC_MAX_MESSAGE_BYTES[options.characteristic],
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
  }

  setAttPayload(attPayload: number): void {
    if (!Number.isInteger(attPayload) || attPayload < MIN_ATT_PAYLOAD || attPayload > MAX_ATT_PAYLOAD) {
      throw new UsageError('CONFIG_INVALID', {
        detail: `ATT payload must be an integer ${MIN_ATT_PAYLOAD}-${MAX_ATT_PAYLOAD}`,
      });
    }
    this.attPayload = attPayload;
  }

  /** Installs (or, with undefined, removes) the session cipher. */
  setCipher(cipher: MessageCipher | undefined): void {
    this.cipher = cipher;
  }

  /** Encodes, seals and fragments one message. */
  send(message: Message): Uint8Array[] {
    this.checkType(message, (detail) => new UsageError('WRONG_CHANNEL', { detail }));
    return this.sendBytes(encodeMessage(message));
  }

  /** Seals (if required) and fragments raw message bytes (the `session` characteristic's handshake). */
  sendBytes(bytes: Uint8Array): Uint8Array[] {
    return fragment(this.seal(bytes), this.attPayload, this.ids.take());
  }

  /** Takes one frame; returns the decoded message when it completes one. Throws ProtocolError. */
  receive(frame: Uint8Array): Message | undefined {
    const bytes = this.receiveBytes(frame);
    return bytes === undefined ? undefined : this.decode(bytes);
  }

  /**
   * Takes one frame; returns the opened message bytes when it completes one (no CBOR decoding).
   * An error notice on `status` (PROTOCOL.md §4.8) is thrown as the device's ReportedError.
   */
  receiveBytes(frame: Uint8Array): Uint8Array | undefined {
    const whole = this.reassembler.push(frame);
    if (whole === undefined) return undefined;
    if (this.characteristic === ERROR_NOTICE_CHARACTERISTIC && isErrorNotice(whole)) throw decodeErrorNotice(whole);
    return this.open(whole);
  }

  /** The frames of an unsealed error notice with `code` (PROTOCOL.md §4.8); only on `status`. */
  sendNotice(code: ErrorCode): Uint8Array[] {
    if (this.characteristic !== ERROR_NOTICE_CHARACTERISTIC)
      throw new UsageError('WRONG_CHANNEL', { detail: `error notices travel on ${ERROR_NOTICE_CHARACTERISTIC}` });
    return fragment(encodeErrorNotice(code), this.attPayload, this.ids.take());
  }

  /** A read value (PROTOCOL.md §2.2): one whole message, sealed if required, unframed, <= 512 bytes. */
  encodeValue(message: Message): Uint8Array {
    this.checkType(message, (detail) => new UsageError('WRONG_CHANNEL', { detail }));
    const value = this.seal(encodeMessage(message));
    if (value.length > MAX_READ_VALUE_BYTES)
      throw new UsageError('MESSAGE_TOO_LARGE', {
        detail: `read value of ${value.length} bytes > ${MAX_READ_VALUE_BYTES}`,
      });
    return value;
  }

  /** Decodes a read value (see {@link encodeValue}). */
  decodeValue(value: Uint8Array): Message {
    if (value.length > MAX_READ_VALUE_BYTES)
      throw new ProtocolError('MESSAGE_TOO_LARGE', {
        detail: `read value of ${value.length} bytes > ${MAX_READ_VALUE_BYTES}`,
      });
    return this.decode(this.open(value));
  }

  /** Drops timed-out partial messages; returns their MESSAGE_TIMEOUT errors. */
  expire(): ProtocolError[] {
    return this.reassembler.expire();
  }

  nextDeadline(): number | undefined {
    return this.reassembler.nextDeadline();
  }

  /** Bytes held by partial messages, and their bound. */
  get bufferedBytes(): number {
    return this.reassembler.bufferedBytes;
  }

  get bufferLimit(): number {
    return this.reassembler.bufferLimit;
  }

  /** On disconnect: drop partial messages and the cipher (PROTOCOL.md §4.5: no resumption). */
  reset(): void {
    this.reassembler.reset();
    this.cipher = undefined;
  }

  private seal(bytes: Uint8Array): Uint8Array {
    if (!this.sealed) return bytes;
    if (!this.cipher)
      throw new UsageError('SESSION_REQUIRED', { detail: `${this.characteristic} messages must be sealed` });
    return this.cipher.seal(this.channel, bytes);
  }

  private open(bytes: Uint8Array): Uint8Array {
    if (!this.sealed) return bytes;
    if (!this.cipher)
      throw new ProtocolError('SESSION_REQUIRED', { detail: `${this.characteristic} messages must be sealed` });
    return this.cipher.open(this.channel, bytes);
  }

  private decode(bytes: Uint8Array): Message {
    const message = decodeMessage(bytes);
    this.checkType(message, (detail) => new ProtocolError('WRONG_CHANNEL', { detail }));
    return message;
  }

  private checkType(message: Message, error: (detail: string) => Error): void {
    if (!CHANNEL_MESSAGE_TYPES[this.characteristic].includes(message.type)) {
      throw error(`a ${message.type} message on the ${this.characteristic} characteristic`);
    }
  }
}
