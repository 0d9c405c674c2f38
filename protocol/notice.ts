/**
 * The error notice (PROTOCOL.md §4.8): the one unsealed message the device sends on `status`, right
 * before it drops a link because of an error (before a session, or an error that ended the session).
 * It carries a wire number and nothing else, encoded like the handshake's `error` message
 * (SESSION.md §6.3): `82 07 19 <wire u16 BE>`. Five bytes can never be a sealed message (at least
 * SEAL_OVERHEAD_BYTES = 24), so a phone tells the two apart by length alone, before opening.
 */
import { ProtocolError, errorCodeFromWire, ERROR_TABLE } from './errors.js';
import type { ErrorCode } from './errors.js';

/** Length of an error notice, bytes. */
export const ERROR_NOTICE_BYTES = 5;
/** The characteristic that carries error notices (PROTOCOL.md §4.8). */
export const ERROR_NOTICE_CHARACTERISTIC = 'status';

const PREFIX = [0x82, 0x07, 0x19] as const;

/** The notice bytes for `code`. */
export function encodeErrorNotice(code: ErrorCode): Uint8Array {
  const wire = ERROR_TABLE[code].wire;
  return Uint8Array.of(...PREFIX, wire >> 8, wire & 0xff);
}

/** Whether a reassembled `status` message is an error notice (exactly the 5-byte form). */
export function isErrorNotice(message: Uint8Array): boolean {
  return message.length === ERROR_NOTICE_BYTES && PREFIX.every((b, i) => message[i] === b);
}

/** The device's error carried by a notice, as the error a phone raises. */
export class ReportedError extends ProtocolError {
  /** The wire number as received (also for numbers this side does not know). */
  readonly reportedWire: number;
  constructor(code: ErrorCode, wire: number, detail: string) {
    super(code, { detail });
    this.reportedWire = wire;
  }
}

/** Decodes a notice; an unknown wire number (a newer device) becomes INTERNAL naming the number. */
export function decodeErrorNotice(message: Uint8Array): ReportedError {
  if (!isErrorNotice(message)) throw new ProtocolError('FRAME_MALFORMED', { detail: 'not an error notice' });
  const wire = (message[3]! << 8) | message[4]!;
  const code = errorCodeFromWire(wire);
  const hex = `0x${wire.toString(16).padStart(4, '0')}`;
  return code
    ? new ReportedError(code, wire, `reported by the device (${hex}) before it dropped the link`)
    : new ReportedError('INTERNAL', wire, `unknown device error ${hex}, reported before it dropped the link`);
}
