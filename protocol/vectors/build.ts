/** Builds the content of the vector files from the code (PROTOCOL.md §8); pure, no I/O. */
import { encodeMessage } from '../codec.js';
import { fragment } from '../framing.js';
import { CHARACTERISTICS, type CharacteristicName } from '../gatt.js';
import type { Message } from '../messages.js';
import { buildAdvertisement } from '../advertisement.js';
import { ERROR_TABLE, type ErrorCode } from '../errors.js';
import { CHARACTERISTIC_MAX_MESSAGE_BYTES } from '../link.js';
import { encodeErrorNotice } from '../notice.js';
import { crc32 } from '../crc32.js';
import { INVALID_SAMPLES, SAMPLES } from './samples.js';
import { writeWindowVectors } from './write-window.js';

/** ATT payloads every vector is framed at. */
export const VECTOR_PAYLOADS = [20, 182, 244, 509] as const;

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new RangeError('not lower-case hex');
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** JSON form of a message: byte strings become { "$hex": "..." }. */
export function messageToJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $hex: toHex(value) };
  if (Array.isArray(value)) return value.map(messageToJson);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, messageToJson(v)]));
  return value;
}

export function messageFromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(messageFromJson);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$hex === 'string' && Object.keys(o).length === 1) return fromHex(o.$hex);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, messageFromJson(v)]));
  }
  return value;
}

const CHARACTERISTIC_OF: Record<Message['type'], CharacteristicName> = {
  info: 'info',
  wifi: 'wifi',
  claim: 'claim',
  control: 'control',
  status: 'status',
  scan: 'scan',
};

export function buildVectorFiles(): Record<string, unknown> {
  const messages = SAMPLES.map(({ name, message }, i) => {
    const cbor = encodeMessage(message);
    const characteristic = CHARACTERISTIC_OF[message.type];
    const messageId = i % 4;
    return {
      name,
      characteristic,
      channel: CHARACTERISTICS[characteristic].channel,
      message: messageToJson(message),
      cbor: toHex(cbor),
      messageId,
      frames: Object.fromEntries(VECTOR_PAYLOADS.map((p) => [String(p), fragment(cbor, p, messageId).map(toHex)])),
    };
  });
  const advertisements = [
    { deviceId: 'pi-k', state: 'idle' as const },
    { deviceId: 'pi-kitchen', state: 'wifiConnecting' as const, sessionActive: true },
    { deviceId: 'a'.repeat(32), state: 'provisioned' as const, softapActive: true },
  ].map((input) => {
    const { advertisingData, scanResponse } = buildAdvertisement(input);
    return { input, advertisingData: toHex(advertisingData), scanResponse: toHex(scanResponse) };
  });
  const notices = (
    [
      'MESSAGE_TOO_LARGE',
      'SESSION_REQUIRED',
      'SESSION_TAMPERED',
      'SESSION_REORDERED',
      'SESSION_TIMEOUT',
    ] as const satisfies readonly ErrorCode[]
  ).map((code, i) => {
    const messageId = i % 4;
    const notice = encodeErrorNotice(code);
    return {
      code,
      wire: ERROR_TABLE[code].wire,
      notice: toHex(notice),
      messageId,
      frame: toHex(fragment(notice, 20, messageId)[0]!),
    };
  });
  const limits = (['session', 'wifi', 'claim', 'control'] as const).map((characteristic) => {
    const max = CHARACTERISTIC_MAX_MESSAGE_BYTES[characteristic];
    return {
      characteristic,
      maxMessageBytes: max,
      acceptedFirstFrame: toHex(firstFrame(max)),
      rejectedFirstFrame: toHex(firstFrame(max + 1)),
      error: 'MESSAGE_TOO_LARGE',
    };
  });
  return {
    'write-window.json': writeWindowVectors(toHex),
    'notices.json': {
      description:
        'Error notices (PROTOCOL.md §4.8): the unsealed 5-byte message the device sends on status before it drops a link because of an error, and its single frame at ATT payload 20.',
      vectors: notices,
    },
    'limits.json': {
      description:
        'Largest framed message per phone-to-device characteristic (PROTOCOL.md §4.1): a first frame (ATT payload 20, message id 0, 13 data bytes 0x00) declaring the limit is held, one declaring one byte more is rejected at once with the error.',
      vectors: limits,
    },
    'messages.json': {
      description:
        'Valid messages (schema v1): the message (byte strings as {"$hex"}), its deterministic CBOR, and its frames (unsealed) at ATT payloads 20, 182, 244, 509 with the given message id. PROTOCOL.md §8.',
      vectors: messages,
    },
    'invalid.json': {
      description: 'CBOR inputs every receiver MUST reject, with the error code. PROTOCOL.md §8.',
      vectors: INVALID_SAMPLES,
    },
    'advertisements.json': {
      description: 'Advertising data and scan response for device id and state. PROTOCOL.md §3.',
      vectors: advertisements,
    },
  };
}

/** A first frame (ATT payload 20, id 0, not last) declaring `total` bytes, with 13 zero data bytes. */
function firstFrame(total: number): Uint8Array {
  const frame = new Uint8Array(20);
  frame[0] = 0x80;
  const view = new DataView(frame.buffer);
  view.setUint16(1, total, false);
  view.setUint32(3, crc32(new Uint8Array(total)), false);
  return frame;
}
