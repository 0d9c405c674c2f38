/**
 * Devices as real processes: `npx tp-device start` (apps/device/cli.ts) with simulated Wi-Fi,
 * a setup code of its own and its state on disk, attached to an air server over TCP — started by
 * the demo's launcher (demo/device-process.ts), so the fault suite runs the product's device as
 * shipped. A process can be killed (SIGKILL: a power cut) and started again on the same disk.
 */
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBuilt } from '../support/built.js';
import type * as DeviceProcessModule from '../../demo/device-process.js';
import type { DeviceProcess, DeviceProcessSpec } from '../../demo/device-process.js';
import { makeSetupCode } from '../../peripheral/setup-code/index.js';
import { MIN_PBKDF2_ITERATIONS } from '../../protocol/session/index.js';
import { NET } from './world.js';
import type { FaultCloud } from './world.js';

/** The demo's launcher as built: it starts the built device (dist/), as `npx tp-demo` does. */
const { startDeviceProcess } = await importBuilt<typeof DeviceProcessModule>('demo/device-process.ts');

export interface ChildDevice {
  readonly deviceId: string;
  readonly serial: string;
  readonly setupCode: string;
  readonly stateDir: string;
  readonly process: DeviceProcess;
  /** Starts the device process again on the same disk (after `kill` or `stop`). */
  restart(): Promise<void>;
  /** SIGKILL, and waits for the process to be gone. */
  kill(): Promise<void>;
  /** SIGTERM (the device stops cleanly). */
  stop(): Promise<void>;
  /** The device's own log, every process started on this disk in turn (see {@link withDeviceLog}). */
  log(): string;
}

/** Every process started here, to stop in afterAll whatever happened. */
const started = new Set<DeviceProcess>();

export async function startChildDevice(
  cloud: FaultCloud,
  airSpec: string,
  deviceId: string,
  serial: string,
  maxAttMtu = 247,
): Promise<ChildDevice> {
  const dir = join(cloud.fx.dir, deviceId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const made = await makeSetupCode({
    deviceId,
    transports: ['ble'],
    outDir: join(dir, 'setup'),
    iterations: MIN_PBKDF2_ITERATIONS,
  });
  const spec: DeviceProcessSpec = {
    deviceId,
    serial,
    dir,
    airSpec,
    cloudJsonPath: cloud.emu.cloudJsonPath,
    verifierPath: made.verifierPath,
    network: NET,
    maxAttMtu,
  };
  const runs: DeviceProcess[] = [];
  const launch = async (): Promise<DeviceProcess> =>
    startDeviceProcess(spec, (p) => {
      started.add(p);
      runs.push(p);
    });
  let current = await launch();
  return {
    deviceId,
    serial,
    setupCode: made.formatted,
    stateDir: current.stateDir,
    get process() {
      return current;
    },
    restart: async () => {
      current = await launch();
    },
    kill: async () => {
      const child = current.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    stop: () => current.stop(),
    log: () =>
      runs.map((p, i) => `--- ${deviceId} process ${i + 1} (pid ${p.child.pid ?? '?'}) ---\n${p.log()}`).join(''),
  };
}

/**
 * Runs `fn`; when it fails, the error carries the device's own log: a fault case that fails (a
 * restarted device that never finishes) is otherwise told only by what the test saw from outside.
 */
export async function withDeviceLog<T>(d: ChildDevice, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error) err.message += `\n${stateSummary(d.stateDir)}\n${d.log()}`;
    throw err;
  }
}

/** The files on the device's disk and its journal's steps, as the failed case left them. */
function stateSummary(stateDir: string): string {
  // Never throws: it decorates another failure, which must reach the report whatever the disk holds.
  const files = attempt(() => readdirSync(stateDir, { recursive: true, encoding: 'utf8' }).sort().join(' '));
  const steps = attempt(() =>
    readFileSync(join(stateDir, 'journal.log'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => /"step":"([^"]+)"/.exec(l)?.[1] ?? '?')
      .join(' '),
  );
  return `--- ${stateDir}: ${files}\n--- journal: ${steps}\n`;
}

function attempt(read: () => string): string {
  try {
    return read();
  } catch (err) {
    return `(${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}

export async function stopAllChildDevices(): Promise<void> {
  await Promise.all([...started].map((p) => p.stop().catch(() => undefined)));
  started.clear();
}
