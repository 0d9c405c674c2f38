/**
 * Runs the standard throughput cases (4 KB at MTU 23 and 247, with and without response, on 1M and
 * 2M) and prints one JSON line: `tsx ble/throughput-cli.ts [connectionIntervalMs]`; or the given
 * cases: `tsx ble/throughput-cli.ts --cases '<ThroughputCase[] as JSON>'` (bench/e2e's reference).
 * bench/ble.bench.ts runs this in a child process because the stacks are process singletons.
 */
import type { ThroughputCase } from './throughput.js';
import { measureThroughput } from './throughput.js';

/** A common phone connection interval (iOS, Android "balanced"), ms. */
export const BENCH_CONNECTION_INTERVAL_MS = 15;

async function main(): Promise<void> {
  if (process.argv[2] === '--cases') {
    const given = JSON.parse(process.argv[3] ?? '[]') as ThroughputCase[];
    process.stdout.write(`${JSON.stringify(await measureThroughput(given))}\n`);
    process.exit(0);
  }
  const interval = Number(process.argv[2] ?? BENCH_CONNECTION_INTERVAL_MS);
  const cases: ThroughputCase[] = [];
  for (const phy of ['1M', '2M'] as const) {
    for (const mtu of [23, 247]) {
      for (const withResponse of [true, false])
        cases.push({ mtu, withResponse, phy, connectionIntervalMs: interval, dataLength: 251 });
    }
  }
  const results = await measureThroughput(cases);
  process.stdout.write(`${JSON.stringify(results)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
