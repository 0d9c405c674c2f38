/**
 * `npm run bench -- fleet` runs end to end on a small fleet: three device processes on the air,
 * provisioned by the central's `provision --all`, every one of them provisioned, and the report
 * (the JSON line the bench prints) has its figures. No timing is asserted: speed lives in the bench.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bench/fleet.bench.js';
import type { FleetRow } from '../../bench/fleet.bench.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('fleet bench', () => {
  it('provisions every device of a small fleet and prints one JSON line with its figures', async () => {
    vi.stubEnv('FLEET_BENCH_DEVICES', '3');
    vi.stubEnv('FLEET_BENCH_LINKS', '1');
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a.map(String).join(' ')));
    vi.spyOn(console, 'table').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);

    const report = await run();

    const line = printed.at(-1) ?? '';
    expect(JSON.parse(line)).toEqual(report);
    expect(report.name).toBe('fleet');
    const { devices, runs } = report.results as { devices: number; runs: FleetRow[] };
    expect(devices).toBe(3);
    expect(runs).toHaveLength(1);
    const [one] = runs;
    expect(one).toMatchObject({ links: 1, devices: 3, provisioned: 3, failed: 0, errors: [], claimsIssued: 1 });
    expect(one?.speedUp).toBe(1);
    for (const n of [one?.wallMs, one?.devicesPerMinute, one?.msPerDevice, one?.deviceFlowMs.median])
      expect(n).toBeGreaterThan(0);
    expect(Object.keys(one?.cpuMsPerDevice ?? {}).sort()).toEqual(['central', 'cloudAndAir', 'devices']);
    expect(report.summary?.map((s) => s.figure)).toEqual([
      'fleet of 3, 1 parallel link: devices per minute (wall)',
      'fleet of 3: time per device, one device alone (wall)',
    ]);
    expect(report.tables?.[0]?.rows).toHaveLength(1);
  }, 120_000);
});
