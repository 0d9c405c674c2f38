/**
 * `npm run bench -- [name ...]` runs the named benchmarks (all when none is named). Each benchmark is
 * a module `bench/<name>.bench.ts` exporting `run(): BenchReport | Promise<BenchReport>`; it prints its own table
 * and one JSON line, and this runner collects the reports into bench/results/latest.json and the
 * headline figures into bench/results/latest.md (the table the top README shows). See bench/README.md.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import '../demo/node-notice.js';
import { cpus, totalmem } from 'node:os';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine } from '../protocol/cli-usage.js';
import type { CliOutput } from '../protocol/cli-usage.js';

/** One headline figure: the value carries its unit and says "wall" when it is wall-clock time. */
export interface SummaryRow {
  figure: string;
  value: string;
}

/** A table of a benchmark's own, printed under the headline table in the Markdown. */
export interface BenchTable {
  title: string;
  headers: string[];
  rows: (string | number)[][];
}

export interface BenchReport {
  name: string;
  /** Machine-readable figures: ratios and counts preferred over wall-clock seconds. */
  results: unknown;
  /** Headline rows for the Markdown table. */
  summary?: SummaryRow[];
  tables?: BenchTable[];
  /** Set by the runner: how long the benchmark took, wall clock, s. */
  wallSeconds?: number;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Run and report order: protocol up to the whole flow; any other benchmark after these, by name. */
const ORDER = ['framing', 'session', 'ble', 'cloud', 'e2e', 'fleet'];
const rank = (name: string): number => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

const cell = (v: string | number): string => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function mdTable(headers: string[], rows: (string | number)[][]): string {
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The Markdown the top README carries: headline figures of every benchmark, then their own tables. */
export function markdown(date: string, m: Machine, reports: BenchReport[]): string {
  const out: string[] = [
    `Benchmarks of ${date.slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node} (${m.platform}); \`npm run bench\` reproduces them.`,
    'Simulated time is the virtual air\'s clock (what a real radio would take); "wall" figures depend on this machine.',
    '',
    mdTable(
      ['benchmark', 'figure', 'value'],
      reports.flatMap((r) => (r.summary ?? []).map((s) => [r.name, s.figure, s.value])),
    ),
  ];
  for (const r of reports) {
    for (const t of r.tables ?? []) out.push('', `**${r.name}: ${t.title}**`, '', mdTable(t.headers, t.rows));
  }
  return out.join('\n') + '\n';
}

const PROGRAM = { name: 'bench', help: 'npm run bench -- --help' };

function usage(available: string[]): string {
  return `usage: npm run bench -- [name ...]
  runs the named benchmarks (all when none is named) and writes bench/results/latest.json and latest.md
  names: ${available.join(', ') || '(none)'}
  -h, --help    this text`;
}

async function main(argv: string[]): Promise<number> {
  const available = (await readdir(here))
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const io: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  const parsed = parseCommandLine(
    PROGRAM,
    usage(available),
    argv,
    () => {
      const { positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { help: { type: 'boolean', short: 'h' } },
      });
      const unknown = positionals.filter((n) => !available.includes(n));
      if (unknown.length > 0)
        throw new CliUsageError(
          `unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ') || '(none)'}`,
        );
      return positionals;
    },
    io,
  );
  if (!parsed.ok) return parsed.exit;
  const asked = parsed.value;
  const reports: BenchReport[] = [];
  for (const name of asked.length > 0 ? asked : available) {
    const started = Date.now();
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as {
      run: () => BenchReport | Promise<BenchReport>;
    };
    const report = await mod.run();
    reports.push({ ...report, wallSeconds: Math.round((Date.now() - started) / 100) / 10 });
  }
  const date = new Date().toISOString();
  const m = machine();
  const dir = join(here, 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'latest.json'),
    JSON.stringify({ date, node: process.version, machine: m, reports }, null, 2) + '\n',
  );
  await writeFile(join(dir, 'latest.md'), markdown(date, m, reports));
  console.log(`wrote ${join(dir, 'latest.json')} and latest.md`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
