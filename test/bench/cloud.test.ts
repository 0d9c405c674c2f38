/**
 * `npm run bench -- cloud` runs end to end on a small fleet: the emulator in its child process, the
 * simulated devices (bench/lean-mqtt.ts) through the whole fleet flow, the TLS ceilings measured,
 * and the report (the JSON line the bench prints) has its figures. No timing is asserted: speed
 * lives in the bench.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONCURRENCY, run, RUNS, runShapes } from '../../bench/cloud.bench.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

interface Run {
  devices: number;
  inFlight: number;
  succeeded: number;
  failed: number;
  connectedAtPeak: number;
  registrationsPerSecond: number;
  tlsHandshakesPerSecond: number;
  flowTlsHandshakesPerSecond: number;
  ceilingRatio: number;
  flowCeilingRatio: number;
  p95Ms: number;
}

describe('cloud bench', () => {
  it('provisions every device of a small fleet, measures both TLS ceilings and prints one JSON line', async () => {
    vi.stubEnv('CLOUD_BENCH_RUNS', '6@3');
    vi.stubEnv('CLOUD_BENCH_TLS_HANDSHAKES', '12');
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a.map(String).join(' ')));
    vi.spyOn(console, 'table').mockImplementation(() => undefined);

    const report = await run();

    expect(JSON.parse(printed.at(-1) ?? '')).toEqual(report);
    const { runs, devices, ceilingRatio } = report.results as { runs: Run[]; devices: number; ceilingRatio: number };
    expect(devices).toBe(6);
    const [one] = runs;
    // Every device registered and stayed connected with its new certificate.
    expect(one).toMatchObject({ devices: 6, inFlight: 3, succeeded: 6, failed: 0, connectedAtPeak: 6 });
    for (const n of [one?.registrationsPerSecond, one?.tlsHandshakesPerSecond, one?.flowTlsHandshakesPerSecond])
      expect(n).toBeGreaterThan(0);
    expect(ceilingRatio).toBe(one?.ceilingRatio);
    expect(one?.flowCeilingRatio).toBeGreaterThan(0);
    expect(report.summary?.map((s) => s.figure)).toContain(
      "6 devices, 3 in flight: registrations/s ÷ (handshakes/s ÷ 2), the share of the TLS ceiling: P-256 / the flow's",
    );
  }, 120_000);

  it('reads its runs from CLOUD_BENCH_RUNS and refuses a malformed one', () => {
    expect(runShapes(undefined)).toBe(RUNS);
    expect(runShapes('500,1000@16')).toEqual([
      { devices: 500, inFlight: CONCURRENCY },
      { devices: 1000, inFlight: 16 },
    ]);
    expect(() => runShapes('1000@0')).toThrow(/CLOUD_BENCH_RUNS: "1000@0" is not devices or devices@in-flight/);
    expect(() => runShapes('many')).toThrow(/CLOUD_BENCH_RUNS/);
  });
});
