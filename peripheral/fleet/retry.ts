/**
 * Retries transient cloud failures (CLOUD_UNREACHABLE, CLOUD_TIMEOUT) with exponential back-off,
 * but never past the claim's deadline: once the next attempt could not start before it, the last
 * error is reported (or what `deadlineError` makes of it, e.g. CLAIM_EXPIRED).
 */
import { ProvisioningError, sleep } from '../../protocol/index.js';
import type { Clock, ErrorCode, Timers } from '../../protocol/index.js';

/** First back-off delay (ms); doubles each attempt up to {@link RETRY_MAX_DELAY_MS}. */
export const RETRY_INITIAL_DELAY_MS = 500;
export const RETRY_MAX_DELAY_MS = 8_000;
/** Upper bound on attempts of one operation, whatever the claim's lifetime. */
export const RETRY_MAX_ATTEMPTS = 8;

const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['CLOUD_UNREACHABLE', 'CLOUD_TIMEOUT']);

/**
 * Attempts in all for a refusal that a connection dropped mid-handshake produces too: the SDK reports
 * a TLS negotiation failure alike for the broker's alert and for a reset after the ClientHello (a
 * broker restarting, a load balancer), so a few attempts ride the reset out and a real refusal is
 * still reported within seconds (back-off 0.5 s, then 1 s).
 */
export const AMBIGUOUS_REFUSAL_ATTEMPTS = 3;
const ambiguous = new WeakSet<ProvisioningError>();

/** Marks `err` as a refusal a dropped connection can also cause (see {@link AMBIGUOUS_REFUSAL_ATTEMPTS}). */
export function ambiguousRefusal(err: ProvisioningError): ProvisioningError {
  ambiguous.add(err);
  return err;
}

/** Whether attempt number `attempt`, which failed with `err`, is worth another. */
export function isTransient(err: unknown, attempt = 1): boolean {
  if (!(err instanceof ProvisioningError)) return false;
  return TRANSIENT.has(err.code) || (ambiguous.has(err) && attempt < AMBIGUOUS_REFUSAL_ATTEMPTS);
}

export interface RetryOptions {
  clock: Clock;
  timers: Timers;
  /** No attempt starts at or after this instant. */
  deadline: Date;
  signal?: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
  /** The error to report when the deadline stops the retries (default: the last error). */
  deadlineError?(last: ProvisioningError): ProvisioningError;
  onRetry?(attempt: number, delayMs: number, err: ProvisioningError): void;
}

export function backoffDelay(attempt: number, initialMs = RETRY_INITIAL_DELAY_MS, maxMs = RETRY_MAX_DELAY_MS): number {
  return Math.min(maxMs, initialMs * 2 ** (attempt - 1));
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? RETRY_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (err) {
      if (!isTransient(err, attempt) || attempt >= maxAttempts) throw err;
      const delay = backoffDelay(attempt, options.initialDelayMs, options.maxDelayMs);
      if (options.clock() + delay >= options.deadline.getTime()) {
        throw options.deadlineError ? options.deadlineError(err as ProvisioningError) : err;
      }
      options.onRetry?.(attempt, delay, err as ProvisioningError);
      await sleep(options.timers, delay, options.signal);
    }
  }
}
