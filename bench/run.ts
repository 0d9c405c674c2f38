/**
 * `npm run bench -- [name ...]` runs the named benchmarks (all when none is named). Each benchmark is
 * a module `bench/<name>.bench.ts` exporting `run(): BenchReport | Promise<BenchReport>`; it prints its own table
 * and one JSON line, and this runner collects the reports into bench/results/latest.json and the
 * headline figures into bench/results/latest.md (the table the top README shows). See bench/README.md.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import '../demo/node-notice.js';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
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
  /** Set by the runner: when the benchmark started (ISO 8601). */
  date?: string;
  /** Set by the runner: the machine's 1-minute load average when it started and when it ended. */
  loadAverage?: { start: number; end: number };
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const README = join(here, '..', 'README.md');
const BEGIN = '<!-- bench/results/latest.md: written by npm run bench, do not edit by hand -->';
const END = '<!-- end of bench/results/latest.md -->';

/** The top README with its copy of latest.md between the two markers replaced by `md`. */
export function withBenchmarks(readme: string, md: string): string {
  const from = readme.indexOf(BEGIN);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${BEGIN} … ${END}`);
  return `${readme.slice(0, from + BEGIN.length)}\n${md}${readme.slice(to)}`;
}
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

const load = (r: BenchReport): string =>
  r.loadAverage ? `${r.loadAverage.start.toFixed(1)} → ${r.loadAverage.end.toFixed(1)}` : 'not recorded';

/** The Markdown the top README carries: when each ran, headline figures, then their own tables. */
export function markdown(m: Machine, reports: BenchReport[]): string {
  const out: string[] = [
    `Benchmarks on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node} (${m.platform}); \`npm run bench\` reproduces them.`,
    'Simulated time is the virtual air\'s clock (what a real radio would take); "wall" figures depend on this machine and on what else ran on it (the load average below; 2 means both cores busy).',
    '',
    mdTable(
      ['benchmark', 'run on', 'wall s', 'load average (1 min), start → end'],
      reports.map((r) => [
        r.name,
        r.date?.slice(0, 16).replace('T', ' ') ?? 'not recorded',
        r.wallSeconds ?? '',
        load(r),
      ]),
    ),
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
  const fresh: BenchReport[] = [];
  for (const name of asked.length > 0 ? asked : available) fresh.push(await runOne(name));
  const dir = join(here, 'results');
  await mkdir(dir, { recursive: true });
  const reports = mergeReports(await previousReports(join(dir, 'latest.json')), fresh, rank);
  const m = machine();
  await writeFile(
    join(dir, 'latest.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, machine: m, reports }, null, 2) + '\n',
  );
  const md = markdown(m, reports);
  await writeFile(join(dir, 'latest.md'), md);
  await writeFile(README, withBenchmarks(await readFile(README, 'utf8'), md));
  console.log(`wrote ${join(dir, 'latest.json')} and latest.md (${fresh.map((r) => r.name).join(', ')} rerun)`);
  return 0;
}

async function runOne(name: string): Promise<BenchReport> {
  const date = new Date().toISOString();
  const startLoad = loadavg()[0] ?? 0;
  const started = Date.now();
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as {
    run: () => BenchReport | Promise<BenchReport>;
  };
  const report = await mod.run();
  const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  return { ...report, date, wallSeconds, loadAverage: { start: startLoad, end: loadavg()[0] ?? 0 } };
}

/** The published reports, so that running a subset replaces those and keeps the others. */
async function previousReports(file: string): Promise<BenchReport[]> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { date?: string; reports?: BenchReport[] };
    const published = parsed.date;
    return (parsed.reports ?? []).map((r) => (r.date || !published ? r : { ...r, date: published }));
  } catch {
    return [];
  }
}

/** Every benchmark once: the fresh report where one ran, else the published one; in run order. */
function mergeReports(previous: BenchReport[], fresh: BenchReport[], order: (name: string) => number): BenchReport[] {
  const byName = new Map(previous.map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, r);
  return [...byName.values()].sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
