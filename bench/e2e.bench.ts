/**
 * `npm run bench -- e2e`: the time from "user picks a device" to "first message with the
 * permanent certificate", split per phase, at ATT_MTU 23 and 247 on the virtual air with its
 * default connection interval (the central's Conn_Interval_Min) — the demo's parts, assembled as
 * demo/run.ts does, measured by a child process of its own (bench/e2e-child.ts: the stacks are
 * process singletons and the run starts processes).
 *
 * Phases (wall clock, ms; the BLE ones also in simulated air time):
 *   connect+session  scan for the device, connect, MTU exchange, read info, SPAKE2+ handshake
 *   transfer         the sealed wifi and claim messages and the commit, framed at the ATT payload
 *   wifi             commit → the device connects to the cloud (job accepted, Wi-Fi joined)
 *   certificate      MQTT with the claim, CreateCertificateFromCsr (device key, CSR)
 *   registration     RegisterThing
 *   verify           the device reconnects with its certificate and proves it, then commits
 *   first message    the permanent certificate's first pub/sub round trip (connect, subscribe, publish, receive)
 * Median of E2E_BENCH_RUNS runs (default 3), each on a fresh device.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { E2eFigures } from './e2e-child.js';
import type { BenchReport, BenchTable, SummaryRow } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CHILD = join(here, 'e2e-child.ts');

// ---------------- the report ----------------

export async function run(): Promise<BenchReport> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: root,
    env: { ...process.env, E2E_BENCH_CHILD: '1' },
    maxBuffer: 16 << 20,
  });
  // The child's own warnings (a device process that would not stop); the rest of its stderr is Node's.
  for (const line of stderr.split('\n')) if (line.startsWith('e2e: ')) console.error(line);
  const figures = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as E2eFigures[];
  const phases: [string, (f: E2eFigures) => string][] = [
    ['connect+session (wall ms / sim ms)', (f) => `${f.wallMs.connectSession} / ${f.sim.connectSessionMs}`],
    ['of which the handshake (sim ms)', (f) => String(f.sim.handshakeMs)],
    ['transfer (wall ms / sim ms)', (f) => `${f.wallMs.transfer} / ${f.sim.transferMs}`],
    [
      'transfer: same frames as bare Write Commands (sim ms) / ratio',
      (f) => `${f.sim.transferWriteCommandMs} / ${f.sim.transferRatio}`,
    ],
    ['wifi (wall ms)', (f) => String(f.wallMs.wifi)],
    ['certificate (wall ms)', (f) => String(f.wallMs.certificate)],
    ['registration (wall ms)', (f) => String(f.wallMs.registration)],
    ['verify + commit (wall ms)', (f) => String(f.wallMs.verify)],
    ['first message (wall ms)', (f) => String(f.wallMs.firstMessage)],
    ['total: pick → first message (wall ms)', (f) => String(f.wallMs.total)],
    ['total, BLE phases at max(wall, sim) (ms)', (f) => String(f.totalAtAirTimeMs)],
    [
      'transfer: bytes / LL PDUs / connection events',
      (f) => `${f.bytesSent} / ${f.sim.transferLlPdus} / ${f.sim.transferConnectionEvents}`,
    ],
  ];
  const table: BenchTable = {
    title: `End to end per phase, median of ${figures[0]?.runs ?? '?'} runs (virtual air: connection interval ${figures[0]?.link?.intervalMs ?? '?'} ms, LE ${figures[0]?.link?.phy ?? '?'}, data length ${figures[0]?.link?.dataLength ?? '?'})`,
    headers: ['phase', ...figures.map((f) => `ATT_MTU ${f.mtu} (payload ${f.attPayload})`)],
    rows: phases.map(([name, get]) => [name, ...figures.map(get)]),
  };
  console.log(table.title);
  console.table(
    Object.fromEntries(
      table.rows.map((r) => [r[0], Object.fromEntries(table.headers.slice(1).map((h, i) => [h, r[i + 1]]))]),
    ),
  );
  const summary: SummaryRow[] = figures.flatMap((f) => [
    {
      figure: `pick → first message with the permanent certificate, ATT_MTU ${f.mtu} (BLE at air time, rest wall; median)`,
      value: `${f.totalAtAirTimeMs} ms`,
    },
    {
      figure: `BLE transfer of Wi-Fi + claim at ATT_MTU ${f.mtu} (simulated air time)`,
      value: `${f.sim.transferMs} ms`,
    },
    {
      figure: `BLE transfer at ATT_MTU ${f.mtu} ÷ the same frames as bare Write Commands (simulated; target ≤ 1.3)`,
      value: `${f.sim.transferRatio} (${f.sim.transferWriteCommandMs} ms)`,
    },
    {
      figure: `SPAKE2+ handshake over BLE at ATT_MTU ${f.mtu} (simulated air time)`,
      value: `${f.sim.handshakeMs} ms`,
    },
  ]);
  const report: BenchReport = { name: 'e2e', results: { mtus: figures }, summary, tables: [table] };
  console.log(JSON.stringify(report));
  return report;
}
