/**
 * `npm run bench -- [name ...]` runs the named benchmarks (all when none is named). Each benchmark is
 * a module `bench/<name>.bench.ts` exporting `run(): Promise<BenchReport>`; it prints its own table
 * and one JSON line, and this runner collects the reports into bench/results/latest.json.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchReport {
  name: string;
  /** Machine-readable figures: ratios and counts preferred over wall-clock seconds. */
  results: unknown;
}

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const available = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length)).sort();
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = asked.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ') || '(none)'}`);
    process.exit(2);
  }
  const reports: BenchReport[] = [];
  for (const name of asked.length > 0 ? asked : available) {
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run: () => Promise<BenchReport> };
    reports.push(await mod.run());
  }
  const out = join(here, 'results', 'latest.json');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, reports }, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
