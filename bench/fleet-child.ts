/**
 * The measuring child of `npm run bench -- fleet` (bench/fleet.bench.ts runs it in a process of its
 * own). The demo's parts (demo/run.ts): the cloud emulator (set up), the virtual air, the demo user
 * logged in (tokens cached where the central's --token-cache finds them). Then, for each number of
 * parallel links, a fresh set of device processes on the air and the central's own command as the
 * user runs it, in a process of its own:
 *
 *   central provision --all --codes FILE --ssid home --password-file F --parallel N --json
 *
 * timed from its first device's `connect` to its summary. Prints one JSON line: FleetFigures.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MAX_ATT_MTU } from '../ble/index.js';
import { loadCentralConfig } from '../central/config/config.js';
import { Cleanups } from '../demo/cleanups.js';
import type { DeviceProcess } from '../demo/device-process.js';
import { DEMO_NETWORK, signIn, startBleAir, startCloud, startDevice } from '../demo/run.js';
import type { DeviceWorld } from '../demo/run.js';
import { NODE_NOTICE_SHOWN } from '../protocol/node-support.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const CENTRAL_CLI = join(ROOT, 'apps', 'central', 'cli.ts');

/** Devices per run (FLEET_BENCH_DEVICES overrides). */
export const FLEET_DEFAULT_DEVICES = 20;
/** Parallel links measured (FLEET_BENCH_LINKS=1,2,4 overrides); the 1-link run is the baseline of the speed-ups. */
export const FLEET_DEFAULT_LINKS = [1, 2, 3, 4];
/** Device processes started at once while a set starts (each is a Node process loading tsx). */
const DEVICE_START_CONCURRENCY = 3;
/**
 * How long one may take to be up, ms: a few seconds of CPU each, which on a 2-core machine shared
 * with other work has taken more than the demo's 45 s.
 */
const DEVICE_START_TIMEOUT_MS = 180_000;
/** The longest one central run may take, ms (20 devices one at a time, on a busy machine). */
const CENTRAL_RUN_TIMEOUT_MS = 10 * 60_000;

/** One `provision --all` run. */
export interface FleetRun {
  links: number;
  devices: number;
  provisioned: number;
  failed: number;
  claimsIssued: number;
  /** First device's connect → the summary, wall ms. */
  wallMs: number;
  /** The virtual air's clock over the same span, ms (what the radio needed; devices share it). */
  simMs: number;
  devicesPerMinute: number;
  /** wallMs / provisioned devices (a device that failed ended early: it is not a device done). */
  msPerDevice: number;
  /** Median and slowest of one device's own flow (the central's phases summed), wall ms. */
  deviceFlowMs: { median: number; max: number };
  /** Error codes of the devices that failed. */
  errors: string[];
  /**
   * CPU time over the run per device provisioned, ms (Linux /proc; 0 elsewhere): the central's
   * process, the device processes, and this process (the cloud emulator and the air). With C ms
   * in all and K cores, no number of links gets past K × 1000 / C devices a second.
   */
  cpuMsPerDevice: { central: number; devices: number; cloudAndAir: number };
}

export interface FleetFigures {
  devices: number;
  runs: FleetRun[];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Linux clock ticks per second (USER_HZ; `getconf CLK_TCK` is 100 on every Linux Node runs on). */
const CLOCK_TICKS_PER_S = 100;

/**
 * CPU time of a process from /proc/PID/stat, ms: its own (utime + stime), or with `reaped` that of
 * its children it has waited for (cutime + cstime). 0 where there is no /proc.
 */
function procCpuMs(pid: number | 'self', reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const ticks = reaped ? f[13]! + f[14]! : f[11]! + f[12]!;
    return (ticks * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** What every run shares. */
interface Bench {
  readonly world: DeviceWorld;
  readonly tokenCache: string;
  readonly passwordFile: string;
  readonly say: (line: string) => void;
}

function linksToMeasure(): number[] {
  const asked = process.env.FLEET_BENCH_LINKS?.split(',').map(Number) ?? FLEET_DEFAULT_LINKS;
  if (asked.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('FLEET_BENCH_LINKS: integers >= 1');
  return [...new Set(asked)].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const devices = Number(process.env.FLEET_BENCH_DEVICES ?? FLEET_DEFAULT_DEVICES);
  if (!Number.isInteger(devices) || devices < 1) throw new Error('FLEET_BENCH_DEVICES: an integer >= 1');
  const links = linksToMeasure();
  const say = (line: string): void => void process.stderr.write(`fleet: ${line}\n`);
  const cleanups = new Cleanups(say);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  cleanups.add(`the temp dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    const emulator = await startCloud(say, dir, cleanups, () => undefined);
    const airServer = await startBleAir(say, cleanups);
    const config = loadCentralConfig(emulator.cloudJsonPath);
    await signIn(say, emulator, config, dir);
    const passwordFile = join(dir, 'wifi-password');
    writeFileSync(passwordFile, DEMO_NETWORK.passphrase, { mode: 0o600 });
    const world: DeviceWorld = {
      say,
      dir,
      transport: 'ble',
      config,
      emulator,
      deviceBle: airServer.spec,
      maxAttMtu: MAX_ATT_MTU,
      cleanups,
      deviceStartTimeoutMs: DEVICE_START_TIMEOUT_MS,
    };
    const bench: Bench = { world, tokenCache: join(dir, 'tokens.json'), passwordFile, say };
    const runs: FleetRun[] = [];
    for (const [r, n] of links.entries()) runs.push(await oneRun(bench, airServer.air, r + 1, devices, n));
    const figures: FleetFigures = { devices, runs };
    process.stdout.write(JSON.stringify(figures) + '\n');
  } finally {
    await cleanups.stopAll();
  }
}

/** A fresh set of `count` devices, provisioned by the central with `links` parallel links; stopped after. */
async function oneRun(
  bench: Bench,
  air: { counters(): { simTimeUs: number } },
  run: number,
  count: number,
  links: number,
): Promise<FleetRun> {
  const { world, say } = bench;
  const codes = new Map<string, string>();
  const processes: DeviceProcess[] = [];
  // Ids sharing their first 8 characters, as the demo's: the id tag tells them apart (PROTOCOL.md §3).
  const ids = Array.from({ length: count }, (_, i) => `fleet${run}-pi-${i + 1}`);
  say(`run ${run}: starting ${count} device processes…`);
  const queue = [...ids];
  const starter = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const serial = `SN-FLEET-${run}-${id.slice(id.lastIndexOf('-') + 1)}`;
      await startDevice(world, { deviceId: id, serial }, codes, (p) => processes.push(p));
    }
  };
  try {
    await Promise.all(Array.from({ length: DEVICE_START_CONCURRENCY }, starter));
    const codesFile = join(world.dir, `codes-${run}.txt`);
    writeFileSync(codesFile, ids.map((id) => `${id} ${codes.get(id) ?? ''}`).join('\n') + '\n', { mode: 0o600 });
    say(`run ${run}: central provision --all, ${count} devices, --parallel ${links}…`);
    const devicesCpu = (): number => processes.reduce((n, p) => n + (p.child.pid ? procCpuMs(p.child.pid) : 0), 0);
    const before = { devices: devicesCpu(), self: procCpuMs('self'), reaped: procCpuMs('self', true) };
    const central = await runCentral(bench, codesFile, links, air);
    const cpuMs = {
      // The central is the one child reaped during the run: its CPU is what the reaped total grew by.
      central: procCpuMs('self', true) - before.reaped,
      devices: devicesCpu() - before.devices,
      cloudAndAir: procCpuMs('self') - before.self,
    };
    const result = toRun(central, count, links, cpuMs);
    say(
      `run ${run}: ${result.provisioned}/${count} provisioned in ${(result.wallMs / 1000).toFixed(1)} s (${result.devicesPerMinute} devices/min)`,
    );
    return result;
  } finally {
    for (const p of processes)
      await p.stop().catch((err: unknown) => say(`could not stop ${p.deviceId}: ${String(err)}`));
  }
}

interface CentralSummary {
  devices: { deviceId: string; ok: boolean; totalMs?: number; error?: { code: string } }[];
  provisioned: number;
  failed: number;
  claimsIssued: number;
}

interface CentralRun {
  summary: CentralSummary;
  wallMs: number;
  simMs: number;
}

/**
 * The central CLI in a process of its own, as the user runs it. Timed from the first device's
 * `connect` (its progress line; the CLI's own start-up and login check come before) to its summary.
 */
async function runCentral(
  bench: Bench,
  codesFile: string,
  links: number,
  air: { counters(): { simTimeUs: number } },
): Promise<CentralRun> {
  const { world } = bench;
  const args = [
    ...['--import', 'tsx', CENTRAL_CLI, '--config', world.emulator.cloudJsonPath],
    ...['--token-cache', bench.tokenCache, '--json', 'provision', '--all', '--codes', codesFile],
    ...['--ssid', DEMO_NETWORK.ssid, '--password-file', bench.passwordFile],
    ...['--parallel', String(links), '--transport', world.deviceBle],
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [NODE_NOTICE_SHOWN]: '1' },
  });
  let start: { t: number; simUs: number } | undefined;
  let end: { t: number; simUs: number } | undefined;
  let stdout = '';
  let stderrTail = '';
  createInterface({ input: child.stderr }).on('line', (l) => {
    stderrTail = `${stderrTail}${l}\n`.slice(-4000);
    if (process.env.FLEET_BENCH_VERBOSE) process.stderr.write(`central: ${l}\n`);
    if (!start && /^\[\S+\] connect…/.test(l)) start = { t: performance.now(), simUs: air.counters().simTimeUs };
  });
  createInterface({ input: child.stdout }).on('line', (l) => {
    stdout += `${l}\n`;
    end ??= { t: performance.now(), simUs: air.counters().simTimeUs };
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CENTRAL_RUN_TIMEOUT_MS);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (!start || !end || !last.startsWith('{'))
    throw new Error(`central provision --all ended with ${code} and no summary: ${stderrTail.trim()}`);
  return {
    summary: JSON.parse(last) as CentralSummary,
    wallMs: end.t - start.t,
    simMs: (end.simUs - start.simUs) / 1000,
  };
}

function toRun(
  { summary, wallMs, simMs }: CentralRun,
  count: number,
  links: number,
  cpuMs: FleetRun['cpuMsPerDevice'],
): FleetRun {
  const perDevice = (ms: number): number => Math.round(ms / Math.max(1, summary.provisioned));
  const flows = summary.devices.flatMap((d) => (d.ok && d.totalMs !== undefined ? [d.totalMs] : []));
  return {
    links,
    devices: count,
    provisioned: summary.provisioned,
    failed: summary.failed,
    claimsIssued: summary.claimsIssued,
    wallMs: Math.round(wallMs),
    simMs: round1(simMs),
    devicesPerMinute: round1((summary.provisioned / wallMs) * 60_000),
    msPerDevice: Math.round(wallMs / Math.max(1, summary.provisioned)),
    deviceFlowMs: { median: Math.round(median(flows)), max: Math.round(Math.max(0, ...flows)) },
    errors: summary.devices.flatMap((d) => (d.error ? [d.error.code] : [])),
    cpuMsPerDevice: {
      central: perDevice(cpuMs.central),
      devices: perDevice(cpuMs.devices),
      cloudAndAir: perDevice(cpuMs.cloudAndAir),
    },
  };
}

// Run as a program only (the report imports this module's types, never its code).
if (process.env.FLEET_BENCH_CHILD === '1') {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
