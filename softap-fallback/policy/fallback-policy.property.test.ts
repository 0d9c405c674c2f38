import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import { FallbackPolicy } from './fallback-policy.js';
import { JobLock, type JobLease } from './job-lock.js';
import type { Decision, FallbackEvent, Transport } from './types.js';

const S = 1000;

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'event'; event: FallbackEvent }
  | { kind: 'acquire'; transport: Transport }
  | { kind: 'release' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 * S }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      event: fc.oneof(
        fc.boolean().map((present): FallbackEvent => ({ type: 'bleControllerPresent', present })),
        fc.constantFrom<FallbackEvent>(
          { type: 'blePhoneConnected' },
          { type: 'bleIdle' },
          { type: 'wifiUp' },
          { type: 'wifiDown' },
          { type: 'provisioned' },
          { type: 'apFailed' },
          { type: 'tick' },
        ),
      ),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      transport: fc.constantFrom<Transport>('ble', 'softap'),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const) }), weight: 2 },
);

const configArb = fc.record({
  triggers: fc.record({
    noBleController: fc.boolean(),
    bleIdleMinutes: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    wifiLossSeconds: fc.option(fc.integer({ min: 10, max: 600 }), { nil: null }),
  }),
  apRetrySeconds: fc.integer({ min: 1, max: 120 }),
});

describe('FallbackPolicy properties (simulated clock, random event sequences)', () => {
  it('never two jobs, AP never up during a BLE job, BLE never on during a SoftAP job, decisions are edges', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.boolean(),
        fc.boolean(),
        fc.array(stepArb, { maxLength: 80 }),
        (config, provisioned, wifiUp, steps) => {
          let now = 0;
          const policy = new FallbackPolicy(config, () => now, { provisioned, wifiUp });
          let apUp = false;
          let bleOn = false;
          const apply = (decisions: Decision[]): void => {
            for (const d of decisions) {
              if (d.type === 'startAp') {
                expect(apUp).toBe(false);
                apUp = true;
              }
              if (d.type === 'stopAp') {
                expect(apUp).toBe(true);
                apUp = false;
              }
              if (d.type === 'enableBle') {
                expect(bleOn).toBe(false);
                bleOn = true;
              }
              if (d.type === 'disableBle') {
                expect(bleOn).toBe(true);
                bleOn = false;
              }
            }
          };
          const lock = new JobLock({ onChange: (e) => apply(policy.handle(e)) });
          let lease: JobLease | undefined;
          let retryUntil = -1;
          apply(policy.handle({ type: 'tick' }));
          for (const step of steps) {
            if (step.kind === 'advance') {
              now += step.ms;
              apply(policy.handle({ type: 'tick' }));
            } else if (step.kind === 'event') {
              if (step.event.type === 'apFailed' && !apUp) continue; // only a started AP can fail
              if (step.event.type === 'apFailed') {
                apUp = false;
                retryUntil = now + config.apRetrySeconds * S;
              }
              apply(policy.handle(step.event));
            } else if (step.kind === 'acquire') {
              // A phone can only start a job over a transport that is up.
              if ((step.transport === 'ble' && !bleOn) || (step.transport === 'softap' && !apUp)) continue;
              try {
                const taken = lock.acquire(step.transport);
                expect(lease).toBeUndefined();
                lease = taken;
              } catch (err) {
                expect(err).toBeInstanceOf(ProvisioningError);
                expect((err as ProvisioningError).code).toBe('DEVICE_BUSY');
                expect(lease).toBeDefined();
              }
            } else {
              lease?.release();
              lease = undefined;
            }
            const s = policy.snapshot();
            expect(s.job).toBe(lock.holder);
            expect(s.apUp).toBe(apUp);
            expect(s.bleEnabled).toBe(bleOn);
            if (s.job === 'ble') expect(apUp).toBe(false);
            if (s.job === 'softap') expect(bleOn).toBe(false);
            if (bleOn) expect(s.controller).not.toBe('absent');
            if (!s.setupNeeded && s.job === undefined) {
              expect(apUp).toBe(false);
              expect(bleOn).toBe(false);
            }
            // Liveness: no controller, setup needed, nothing running, no back-off pending: the AP is up.
            if (
              config.triggers.noBleController &&
              s.controller === 'absent' &&
              s.setupNeeded &&
              s.job === undefined &&
              now >= retryUntil
            ) {
              expect(apUp).toBe(true);
            }
            if (apUp) expect(s.job === 'softap' || (s.setupNeeded && s.apTrigger !== undefined)).toBe(true);
            const deadline = policy.nextDeadline();
            if (deadline !== undefined) expect(deadline).toBeGreaterThan(now);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('auto-reconfiguration fires exactly at the threshold, on the first tick at or after it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 3600 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 4_000_000 }), { minLength: 1, maxLength: 30 }),
        (thresholdSeconds, downAt, offsets) => {
          let now = 0;
          const policy = new FallbackPolicy(
            { triggers: { bleIdleMinutes: null, wifiLossSeconds: thresholdSeconds } },
            () => now,
            { provisioned: true, wifiUp: true },
          );
          policy.handle({ type: 'tick' });
          now = downAt;
          policy.handle({ type: 'wifiDown' });
          const fireAt = downAt + thresholdSeconds * S;
          expect(policy.nextDeadline()).toBe(fireAt);
          let fired: number | undefined;
          for (const offset of [...offsets].sort((a, b) => a - b)) {
            now = downAt + offset;
            const decisions = policy.handle({ type: 'tick' });
            if (decisions.some((d) => d.type === 'startAp' && d.reason === 'wifiLost')) {
              expect(fired).toBeUndefined();
              fired = now;
            }
          }
          const firstDue = [...offsets]
            .sort((a, b) => a - b)
            .map((o) => downAt + o)
            .find((t) => t >= fireAt);
          expect(fired).toBe(firstDue);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the BLE-idle trigger fires exactly after N minutes without a phone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 40 * 60 * S }), { minLength: 1, maxLength: 30 }),
        (minutes, times) => {
          let now = 0;
          const policy = new FallbackPolicy({ triggers: { bleIdleMinutes: minutes } }, () => now, {
            provisioned: false,
            wifiUp: false,
          });
          policy.handle({ type: 'tick' });
          policy.handle({ type: 'bleControllerPresent', present: true });
          const sorted = [...times].sort((a, b) => a - b);
          let fired: number | undefined;
          for (const t of sorted) {
            now = t;
            if (policy.handle({ type: 'tick' }).some((d) => d.type === 'startAp')) fired ??= t;
          }
          expect(fired).toBe(sorted.find((t) => t >= minutes * 60 * S));
        },
      ),
      { numRuns: 300 },
    );
  });
});
