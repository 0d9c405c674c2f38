/**
 * The processes of the H4-over-TCP daemon test, as built (dist/): the air server (`npx tp-air`,
 * ble/air/cli.ts) in a process of its own, and `device start` processes (demo/device-process.ts)
 * whose stdout lines are kept for the test to wait on.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { built, importBuilt } from '../support/built.js';
import type * as DeviceProcessModule from '../../demo/device-process.js';
import type { DeviceProcess, DeviceProcessSpec } from '../../demo/device-process.js';

/** The demo's launcher as built: it starts the built device (dist/), as `npx tp-demo` does. */
const { startDeviceProcess } = await importBuilt<typeof DeviceProcessModule>('demo/device-process.ts');

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** How long the air process may take to listen (start-up on a busy machine), ms. */
const AIR_START_TIMEOUT_MS = 45_000;

export interface AirProcess {
  readonly child: ChildProcess;
  /** `air:tcp:127.0.0.1:PORT` */
  readonly spec: string;
  readonly port: number;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited.finally(() => clearTimeout(timer));
}

export async function startAirProcess(): Promise<AirProcess> {
  const child = spawn(
    process.execPath,
    ['--import', built('demo/exit-with-parent.ts'), built('ble/air/cli.ts'), '--unix', 'none', '--tcp', '0'],
    {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const spec = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the air process did not listen')), AIR_START_TIMEOUT_MS);
    lines.on('line', (l) => {
      const m = /BLE_TRANSPORT=(air:tcp:\S+)/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`the air process exited with ${c}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  return { child, spec, port: Number(spec.slice(spec.lastIndexOf(':') + 1)), stop: () => stopChild(child) };
}

export interface WatchedDevice {
  readonly process: DeviceProcess;
  /** stdout lines since start-up, without their timestamps. */
  readonly lines: string[];
  count(pattern: RegExp): number;
  /** Waits until `pattern` has matched more than `after` lines. */
  waitFor(pattern: RegExp, after?: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM; resolves with how the process ended and whether it logged its clean stop. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stoppedCleanly: boolean }>;
}

export async function startWatchedDevice(spec: DeviceProcessSpec, started: Set<DeviceProcess>): Promise<WatchedDevice> {
  const dp = await startDeviceProcess(spec, (p) => started.add(p));
  const lines: string[] = [];
  createInterface({ input: dp.child.stdout! }).on('line', (l) => lines.push(l.replace(/^\S+Z /, '')));
  const count = (pattern: RegExp): number => lines.filter((l) => pattern.test(l)).length;
  return {
    process: dp,
    lines,
    count,
    waitFor: async (pattern, after = 0, timeoutMs = 60_000) => {
      const end = Date.now() + timeoutMs;
      while (count(pattern) <= after) {
        if (dp.child.exitCode !== null)
          throw new Error(`device exited (${dp.child.exitCode}) waiting for ${pattern}; log: ${lines.join(' | ')}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; log: ${lines.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    terminate: async () => {
      const exited = once(dp.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      dp.child.kill('SIGTERM');
      const [code, signal] = await exited;
      // Let the last stdout chunk arrive.
      await new Promise((r) => setImmediate(r));
      return { code, signal, stoppedCleanly: lines.includes('stopped') };
    },
  };
}
