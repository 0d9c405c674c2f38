import { ProtocolError, type ErrorCode } from '../errors.js';

/** Throws the peer-facing session error. `detail` must never carry secret material. */
export function fail(code: ErrorCode, detail?: string): never {
  throw new ProtocolError(code, detail === undefined ? {} : { detail });
}
