/**
 * HTTP-level failures (before or outside a session): one JSON shape, `{ error: { code, message } }`,
 * with a stable code from protocol/errors.ts. Errors inside the protocol travel as status
 * notifications instead, exactly as over BLE.
 */
import type { Response } from 'express';
import { ERROR_TABLE, isProvisioningError } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import type { ErrorBody } from '../client/index.js';

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    /** Non-secret detail for the person and the log. */
    readonly detail?: string,
    /** For 429/503: when to try again, seconds (also sent as Retry-After). */
    readonly retryAfterS?: number,
  ) {
    super(detail ? `${ERROR_TABLE[code].message}: ${detail}` : ERROR_TABLE[code].message);
    this.name = 'HttpFailure';
  }
}

/** The HTTP status a protocol code maps to when it ends a request. */
export function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'MESSAGE_TOO_LARGE':
      return 413;
    case 'ORIGIN_REJECTED':
      return 403;
    case 'RATE_LIMITED':
    case 'SESSION_LOCKED_OUT':
      return 429;
    case 'DEVICE_BUSY':
      return 503;
    case 'LINK_LOST':
      return 404;
    case 'INTERNAL':
    case 'STORAGE_FAILED':
      return 500;
    default:
      return 400;
  }
}

export function toHttpFailure(err: unknown): HttpFailure {
  if (err instanceof HttpFailure) return err;
  if (isProvisioningError(err)) return new HttpFailure(statusFor(err.code), err.code, err.detail);
  // express's own client errors (a URL that does not decode, an aborted body) carry a 4xx status.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new HttpFailure(400, 'MESSAGE_INVALID', 'malformed request');
  return new HttpFailure(500, 'INTERNAL', 'unexpected server failure');
}

export function sendFailure(res: Response, failure: HttpFailure): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = {
    error: {
      code: failure.code,
      message: ERROR_TABLE[failure.code].message,
      ...(failure.detail ? { detail: failure.detail } : {}),
      ...(failure.retryAfterS !== undefined ? { retryAfterS: failure.retryAfterS } : {}),
    },
  };
  if (failure.retryAfterS !== undefined) res.setHeader('Retry-After', String(failure.retryAfterS));
  res.setHeader('Cache-Control', 'no-store');
  res.status(failure.status).json(body);
}
