import { describe, expect, it } from 'vitest';
import { AttemptLimiter, DEFAULT_ATTEMPT_POLICY, lockoutDurationMs, MemoryAttemptStore } from './attempts.js';

describe('attempt limiter', () => {
  it('grows the lock-out: 5 free, then 1, 2, 4 ... minutes, capped at 24 h', () => {
    expect([0, 4, 5, 6, 7].map((f) => lockoutDurationMs(f))).toEqual([0, 0, 60_000, 120_000, 240_000]);
    expect(lockoutDurationMs(40)).toBe(DEFAULT_ATTEMPT_POLICY.maxLockoutMs);
    expect(lockoutDurationMs(1e9)).toBe(DEFAULT_ATTEMPT_POLICY.maxLockoutMs);
  });

  it('locks, unlocks with time, and resets on success', () => {
    let now = 1000;
    const limiter = new AttemptLimiter(new MemoryAttemptStore(), () => now);
    for (let i = 0; i < 4; i++) limiter.recordFailure();
    expect(limiter.check()).toEqual({ locked: false });
    limiter.recordFailure();
    expect(limiter.check()).toEqual({ locked: true, retryAfterMs: 60_000 });
    now += 59_999;
    expect(limiter.check()).toEqual({ locked: true, retryAfterMs: 1 });
    now += 1;
    expect(limiter.check()).toEqual({ locked: false });
    limiter.recordSuccess();
    expect(limiter.state).toEqual({ failures: 0, lockedUntilMs: 0 });
  });

  it('does not let a clock that jumped backwards stretch the lock-out', () => {
    let now = 10_000_000;
    const store = new MemoryAttemptStore();
    const limiter = new AttemptLimiter(store, () => now);
    for (let i = 0; i < 5; i++) limiter.recordFailure();
    now -= 5 * 24 * 3600_000; // rebooted without an RTC: the clock is days behind
    expect(limiter.check()).toEqual({ locked: true, retryAfterMs: 60_000 });
    expect(store.load().lockedUntilMs).toBe(now + 60_000);
  });
});
