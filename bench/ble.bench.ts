/**
 * `npm run bench -- ble`: through the real bleno and noble over the virtual air, writes per
 * simulated second and simulated time to move 4 KB at MTU 23 and 247, with and without response,
 * on LE 1M and 2M, at a 15 ms connection interval with Data Length Extension (251 octets) and the
 * air's default 8 ACL buffers. The stacks are process singletons, so the measurement runs in a
 * child process (ble/throughput-cli.ts).
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ThroughputResult } from '../ble/throughput.js';
import type { BenchReport } from './run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function run(): Promise<BenchReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(root, 'ble', 'throughput-cli.ts')],
    {
      cwd: root,
      maxBuffer: 1 << 20,
    },
  );
  const results = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as ThroughputResult[];
  const rows = results.map((r) => ({
    phy: r.phy,
    mtu: r.mtu,
    mode: r.withResponse ? 'write req' : 'write cmd',
    writes: r.writes,
    'writes/sim s': Math.round(r.writesPerSimSecond),
    '4 KB sim ms': +(r.simTimeUs / 1000).toFixed(1),
    'kbit/sim s': +r.kbitPerSimSecond.toFixed(1),
    'conn events': r.connectionEvents,
    'radio-on ms': +(r.airTimeUs / 1000).toFixed(2),
  }));
  console.log(
    `ble: 4096 bytes, connection interval ${results[0]?.connectionIntervalMs ?? '?'} ms, data length ${results[0]?.dataLength ?? '?'}`,
  );
  console.table(rows);
  const summary = results
    .filter((r) => (r.phy === '1M' && r.withResponse) || (r.phy === '2M' && r.mtu === 247 && !r.withResponse))
    .map((r) => ({
      figure: `4 KB over GATT, ATT_MTU ${r.mtu}, LE ${r.phy}, ${r.withResponse ? 'write request' : 'write command'} (simulated)`,
      value: `${(r.simTimeUs / 1000).toFixed(1)} ms, ${r.kbitPerSimSecond.toFixed(0)} kbit/s`,
    }));
  const report: BenchReport = { name: 'ble', results, summary };
  console.log(JSON.stringify(report));
  return report;
}
