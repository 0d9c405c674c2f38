/** What one step of a handshake produced (sans I/O: the caller writes `reply`, if any, to the peer). */
import { errorCodeFromWire, ProtocolError, ProvisioningError } from '../errors.js';
import type { SecureChannel } from './channel.js';
import { encodeHandshake, MSG_ERROR } from './messages.js';

export type HandshakeResult =
  | { readonly status: 'continue'; readonly reply: Uint8Array }
  | { readonly status: 'established'; readonly reply: Uint8Array | undefined; readonly channel: SecureChannel }
  | { readonly status: 'failed'; readonly reply: Uint8Array | undefined; readonly error: ProtocolError };

/** Handshake deadline from `hello` to `done`, in milliseconds, enforced by the device on each message. */
export const HANDSHAKE_TIMEOUT_MS = 60_000;

/** The device refuses sessions: carries how long until it accepts again. */
export class SessionLockedOutError extends ProtocolError {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super('SESSION_LOCKED_OUT', { detail: `retry after ${Math.ceil(retryAfterMs / 1000)} s` });
    this.retryAfterMs = retryAfterMs;
  }
}

/** Encodes the `error` message that tells the peer why this side ended the handshake. */
export function errorReply(error: ProtocolError): Uint8Array {
  const retryAfterMs = error instanceof SessionLockedOutError ? error.retryAfterMs : undefined;
  return encodeHandshake({ type: MSG_ERROR, wire: error.wire, retryAfterMs });
}

/** The error a peer's `error` message stands for (unknown numbers from a newer peer stay generic). */
export function errorFromPeer(wire: number, retryAfterMs: number | undefined): ProtocolError {
  const code = errorCodeFromWire(wire);
  if (code === 'SESSION_LOCKED_OUT') return new SessionLockedOutError(retryAfterMs ?? 0);
  if (code === undefined)
    return new ProtocolError('SESSION_HANDSHAKE_INVALID', {
      detail: `the peer failed with unknown code 0x${wire.toString(16)}`,
    });
  return new ProtocolError(code, { detail: 'reported by the peer' });
}

/** Normalizes anything thrown inside a handshake step into a ProtocolError (foreign errors once, at the edge). */
export function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof ProvisioningError)
    return new ProtocolError(err.code, { ...(err.detail === undefined ? {} : { detail: err.detail }), cause: err });
  return new ProtocolError('SESSION_HANDSHAKE_INVALID', { detail: 'the handshake step failed', cause: err });
}
