import { ProtocolError, UsageError, type ErrorCode } from '../errors.js';

/** Throws the peer-facing session error. `detail` must never carry secret material. */
export function fail(code: ErrorCode, detail?: string): never {
  throw new ProtocolError(code, detail === undefined ? {} : { detail });
}

/** Throws for local misuse of the session API (a bug on this side, not the peer's). */
export function misuse(code: ErrorCode, detail: string): never {
  throw new UsageError(code, { detail });
}
