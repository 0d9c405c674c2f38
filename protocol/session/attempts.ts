/**
 * The attempt limit (SESSION.md, "Attempt limit"). Failed handshakes are counted in state the device
 * persists through an injected {@link AttemptStore}, so reconnecting or restarting does not reset
 * the count. A handshake is counted as failed *before* the device reveals its confirmation MAC and
 * only un-counted when the phone proves the code, so a guesser who disconnects early still pays.
 *
 * After {@link AttemptPolicy.freeFailures} consecutive failures every further failure locks the
 * device for baseLockoutMs * 2^(failures - freeFailures), capped at maxLockoutMs. A success resets.
 */
import type { Clock } from '../clock.js';

export interface AttemptState {
  /** Consecutive failed (or abandoned) handshakes since the last success. */
  readonly failures: number;
  /** Sessions are refused until this time (clock milliseconds); 0 when not locked. */
  readonly lockedUntilMs: number;
}

/** Persistence for {@link AttemptState}; `save` must be durable before it returns (or throw). */
export interface AttemptStore {
  load(): AttemptState;
  save(state: AttemptState): void;
}

export interface AttemptPolicy {
  /** Failures allowed before the first lock-out. */
  readonly freeFailures: number;
  /** First lock-out in milliseconds; doubles with each further failure. */
  readonly baseLockoutMs: number;
  /** Longest lock-out in milliseconds. */
  readonly maxLockoutMs: number;
}

/** 5 free failures, then 1 min, 2 min, 4 min, ... capped at 24 h (SESSION.md argues the numbers). */
export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = {
  freeFailures: 5,
  baseLockoutMs: 60_000,
  maxLockoutMs: 24 * 60 * 60_000,
};

export const INITIAL_ATTEMPT_STATE: AttemptState = { failures: 0, lockedUntilMs: 0 };

export function lockoutDurationMs(failures: number, policy: AttemptPolicy = DEFAULT_ATTEMPT_POLICY): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 40);
  return Math.min(policy.baseLockoutMs * 2 ** doublings, policy.maxLockoutMs);
}

export function isAttemptState(v: unknown): v is AttemptState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['failures'] === 'number' &&
    Number.isSafeInteger(s['failures']) &&
    s['failures'] >= 0 &&
    typeof s['lockedUntilMs'] === 'number' &&
    Number.isSafeInteger(s['lockedUntilMs']) &&
    s['lockedUntilMs'] >= 0
  );
}

export type LockStatus = { readonly locked: false } | { readonly locked: true; readonly retryAfterMs: number };

export class AttemptLimiter {
  constructor(
    private readonly store: AttemptStore,
    private readonly clock: Clock,
    readonly policy: AttemptPolicy = DEFAULT_ATTEMPT_POLICY,
  ) {}

  /** Whether sessions are refused now, and for how long. */
  check(): LockStatus {
    const state = this.store.load();
    const now = this.clock();
    const remaining = state.lockedUntilMs - now;
    if (remaining <= 0) return { locked: false };
    // A clock that jumped backwards (no RTC at boot) must not stretch the lock-out beyond its length.
    const longest = lockoutDurationMs(state.failures, this.policy);
    if (remaining > longest) {
      this.store.save({ failures: state.failures, lockedUntilMs: now + longest });
      return longest > 0 ? { locked: true, retryAfterMs: longest } : { locked: false };
    }
    return { locked: true, retryAfterMs: remaining };
  }

  /** Counts one failed handshake and starts the lock-out it earns; durable when it returns. */
  recordFailure(): void {
    const state = this.store.load();
    const failures = state.failures + 1;
    const duration = lockoutDurationMs(failures, this.policy);
    this.store.save({ failures, lockedUntilMs: duration > 0 ? this.clock() + duration : 0 });
  }

  /** The phone proved the code: forget earlier failures. */
  recordSuccess(): void {
    this.store.save(INITIAL_ATTEMPT_STATE);
  }

  get state(): AttemptState {
    return this.store.load();
  }
}

/** An in-memory store (tests, or a device that accepts losing the count on restart). */
export class MemoryAttemptStore implements AttemptStore {
  private state: AttemptState = INITIAL_ATTEMPT_STATE;
  load(): AttemptState {
    return this.state;
  }
  save(state: AttemptState): void {
    this.state = { ...state };
  }
}
