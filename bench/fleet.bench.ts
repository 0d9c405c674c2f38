/**
 * `npm run bench -- fleet`: one person provisioning a fleet in one sitting. 20 devices, each in its
 * own process on the virtual air (as `npm run demo -- --devices N` starts them), provisioned by the
 * central's own command, `central provision --all --codes FILE --parallel N`, with 1, 2, 3 (the
 * default) and 4 parallel links, a fresh set of devices for each (bench/fleet-child.ts).
 *
 * Figures (wall clock, from the first device's connect to the central's summary):
 *   devices per minute      provisioned devices / wall time
 *   time per device         wall time / devices
 *   speed-up                time per device with 1 link (each device alone) / time per device with N
 *   target                  speed-up >= 0.7 × N (issue #20)
 * FLEET_BENCH_DEVICES and FLEET_BENCH_LINKS (e.g. 1,2,4,8) change the sizes.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FleetFigures, FleetRun } from './fleet-child.js';
import type { BenchReport, BenchTable, SummaryRow } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CHILD = join(here, 'fleet-child.ts');

/** The speed-up N parallel links should reach over one device alone, per link (issue #20). */
export const FLEET_TARGET_PER_LINK = 0.7;
/** The central's default `--parallel` (apps/central/cli/provision-command.ts BATCH_PARALLEL_LINKS). */
const DEFAULT_LINKS = 3;

/** A run with its speed-up over the 1-link run (each device alone). */
export interface FleetRow extends FleetRun {
  speedUp: number;
  /** speedUp / links: 1 is perfect overlap; the target is {@link FLEET_TARGET_PER_LINK}. */
  perLink: number;
  meetsTarget: boolean;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function withSpeedUps(figures: FleetFigures): FleetRow[] {
  const alone = figures.runs.find((r) => r.links === 1);
  return figures.runs.map((r) => {
    const speedUp = alone && r.msPerDevice > 0 ? round2(alone.msPerDevice / r.msPerDevice) : 0;
    const perLink = round2(speedUp / r.links);
    return { ...r, speedUp, perLink, meetsTarget: r.failed === 0 && perLink >= FLEET_TARGET_PER_LINK };
  });
}

export async function run(): Promise<BenchReport> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: root,
    env: { ...process.env, FLEET_BENCH_CHILD: '1' },
    maxBuffer: 16 << 20,
  });
  // The child's progress and warnings; the rest of its stderr is Node's and the libraries'.
  for (const line of stderr.split('\n')) if (line.startsWith('fleet: ')) console.error(line);
  return report(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as FleetFigures);
}

/** The report of the child's figures: printed as a table and one JSON line, and returned. */
export function report(figures: FleetFigures): BenchReport {
  const rows = withSpeedUps(figures);
  const table: BenchTable = {
    title: `A fleet of ${figures.devices} devices (one process each) provisioned by \`central provision --all --parallel N\` on the virtual air (wall clock)`,
    headers: [
      'parallel links',
      'provisioned',
      'wall s',
      'devices / min',
      'ms per device',
      'one device’s flow, median / max ms',
      'speed-up over one device alone',
      'target (0.7 × links)',
      'CPU ms per device: central / devices / cloud + air',
    ],
    rows: rows.map((r) => [
      r.links === DEFAULT_LINKS ? `${r.links} (default)` : r.links,
      `${r.provisioned} / ${r.devices}${r.errors.length > 0 ? ` (${[...new Set(r.errors)].join(', ')})` : ''}`,
      round2(r.wallMs / 1000),
      r.devicesPerMinute,
      r.msPerDevice,
      `${r.deviceFlowMs.median} / ${r.deviceFlowMs.max}`,
      `${r.speedUp}×`,
      `${round2(FLEET_TARGET_PER_LINK * r.links)}× ${r.links === 1 ? '(baseline)' : r.meetsTarget ? 'met' : 'NOT met'}`,
      `${r.cpuMsPerDevice.central} / ${r.cpuMsPerDevice.devices} / ${r.cpuMsPerDevice.cloudAndAir}`,
    ]),
  };
  console.log(table.title);
  console.table(
    Object.fromEntries(
      table.rows.map((r) => [r[0], Object.fromEntries(table.headers.slice(1).map((h, i) => [h, r[i + 1]]))]),
    ),
  );
  const summary: SummaryRow[] = rows.flatMap((r) => [
    {
      figure: `fleet of ${r.devices}, ${r.links} parallel link${r.links > 1 ? 's' : ''}: devices per minute (wall)`,
      value: `${r.devicesPerMinute}${r.failed > 0 ? ` (${r.failed} failed)` : ''}`,
    },
    ...(r.links === 1
      ? [{ figure: `fleet of ${r.devices}: time per device, one device alone (wall)`, value: `${r.msPerDevice} ms` }]
      : [
          {
            figure: `fleet of ${r.devices}, ${r.links} parallel links: speed-up over one device alone (target ≥ ${round2(FLEET_TARGET_PER_LINK * r.links)}×)`,
            value: `${r.speedUp}× (${r.msPerDevice} ms per device)`,
          },
        ]),
  ]);
  const out: BenchReport = {
    name: 'fleet',
    results: { devices: figures.devices, runs: rows },
    summary,
    tables: [table],
  };
  console.log(JSON.stringify(out));
  return out;
}
