import { describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { ambiguousRefusal, AMBIGUOUS_REFUSAL_ATTEMPTS, backoffDelay, withRetry } from './retry.js';

describe('withRetry', () => {
  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 500, 8000))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
  });

  it('retries transient failures, then succeeds', async () => {
    const timers = new ManualTimers({ instant: true });
    let calls = 0;
    const out = await withRetry(
      () => (++calls < 3 ? Promise.reject(new ProvisioningError('CLOUD_UNREACHABLE')) : Promise.resolve('ok')),
      { clock: timers.clock, timers, deadline: new Date(60_000) },
    );
    expect(out).toBe('ok');
    expect(timers.delays).toEqual([500, 1000]);
  });

  it('never retries a refusal', async () => {
    const timers = new ManualTimers({ instant: true });
    await expect(
      withRetry(() => Promise.reject(new ProvisioningError('CLOUD_CONNECT_REFUSED')), {
        clock: timers.clock,
        timers,
        deadline: new Date(60_000),
      }),
    ).rejects.toMatchObject({ code: 'CLOUD_CONNECT_REFUSED' });
    expect(timers.delays).toEqual([]);
  });

  it('retries a refusal a dropped connection also causes a few times, then reports it', async () => {
    const timers = new ManualTimers({ instant: true });
    const refused = (): ProvisioningError =>
      ambiguousRefusal(new ProvisioningError('CLOUD_CONNECT_REFUSED', { detail: 'TLS handshake failed' }));
    let calls = 0;
    await expect(
      withRetry(
        () => {
          calls++;
          return Promise.reject(refused());
        },
        { clock: timers.clock, timers, deadline: new Date(60_000) },
      ),
    ).rejects.toMatchObject({ code: 'CLOUD_CONNECT_REFUSED' });
    expect(calls).toBe(AMBIGUOUS_REFUSAL_ATTEMPTS);
    expect(timers.delays).toEqual([500, 1000]);

    calls = 0;
    const out = await withRetry(() => (++calls < 3 ? Promise.reject(refused()) : Promise.resolve('up')), {
      clock: timers.clock,
      timers,
      deadline: new Date(60_000),
    });
    expect(out).toBe('up');
  });

  it('stops before the deadline and reports what deadlineError makes of the last failure', async () => {
    const timers = new ManualTimers({ instant: true });
    const err = await withRetry(() => Promise.reject(new ProvisioningError('CLOUD_TIMEOUT')), {
      clock: timers.clock,
      timers,
      deadline: new Date(2_000),
      deadlineError: (last) => new ProvisioningError('CLAIM_EXPIRED', { detail: last.code }),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLAIM_EXPIRED', detail: 'CLOUD_TIMEOUT' });
    // 0 → 500 → 1500; a 2000 ms wait would end past the deadline at 2000.
    expect(timers.delays).toEqual([500, 1000]);
  });

  it('stops after maxAttempts with the last error', async () => {
    const timers = new ManualTimers({ instant: true });
    let calls = 0;
    await expect(
      withRetry(
        () => {
          calls++;
          return Promise.reject(new ProvisioningError('CLOUD_UNREACHABLE'));
        },
        { clock: timers.clock, timers, deadline: new Date(1e9), maxAttempts: 4 },
      ),
    ).rejects.toMatchObject({ code: 'CLOUD_UNREACHABLE' });
    expect(calls).toBe(4);
  });
});
