/**
 * One demo device: `npx tp-device start` in its own process (bleno is a process singleton),
 * attached to the demo's air server. Resolves once the device logs that it is up.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NODE_NOTICE_SHOWN } from '../protocol/node-support.js';

const HERE = fileURLToPath(import.meta.url);
const REPO = join(dirname(HERE), '..');
/** `.ts` when the demo runs from source under tsx, `.js` when it runs built (dist/): the device alike. */
const EXT = extname(HERE);
const DEVICE_CLI = join(REPO, 'apps', 'device', `cli${EXT}`);
const EXIT_WITH_PARENT = join(REPO, 'demo', `exit-with-parent${EXT}`);
/** From source the device needs tsx as well; built, it is plain JavaScript (no tsx on a Pi). */
const LOADER = EXT === '.ts' ? ['--import', 'tsx'] : [];
/** How long a device process may take to start advertising (tsx start-up on a busy machine), ms. */
export const DEVICE_START_TIMEOUT_MS = 45_000;
/** How long a device may take to stop after SIGTERM before it is killed, ms. */
export const DEVICE_STOP_TIMEOUT_MS = 5_000;
/** How much of a device's own log (stdout and stderr) {@link DeviceProcess.log} keeps, characters. */
const LOG_TAIL_CHARS = 32_000;

export interface DeviceProcessSpec {
  deviceId: string;
  serial: string;
  dir: string;
  airSpec: string;
  cloudJsonPath: string;
  verifierPath: string;
  network: { ssid: string; passphrase: string };
  /** The largest ATT_MTU the device grants (device config ble.maxAttMtu). */
  maxAttMtu?: number;
  /**
   * Serve setup over the SoftAP (simulated AP, 127.0.0.1 on a free port): from boot (`mode`
   * always, the default), or when the fallback policy says (`policy`).
   */
  softap?: { claimDefaults: { host: string; port: number; templateName: string }; mode?: 'always' | 'policy' };
  /** How long it may take to be up, ms (default {@link DEVICE_START_TIMEOUT_MS}). */
  startTimeoutMs?: number;
}

export interface DeviceProcess {
  readonly deviceId: string;
  readonly stateDir: string;
  readonly configPath: string;
  readonly child: ChildProcess;
  /** The SoftAP page's URL, when the device serves one. */
  readonly softapUrl: string | undefined;
  /** The last {@link LOG_TAIL_CHARS} characters the device wrote (stdout and stderr, as they came): its log. */
  log(): string;
  stop(): Promise<void>;
}

/** Spawns the device with a config file of its own (state dir, verifier, simulated Wi-Fi). */
export async function startDeviceProcess(
  spec: DeviceProcessSpec,
  onSpawn: (d: DeviceProcess) => void,
): Promise<DeviceProcess> {
  const stateDir = join(spec.dir, 'state');
  const configPath = join(spec.dir, 'device.json');
  writeFileSync(configPath, JSON.stringify(deviceConfig(spec, stateDir), null, 2), { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [...LOADER, '--import', EXIT_WITH_PARENT, DEVICE_CLI, 'start', '--config', configPath],
    {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
      // The demo printed the Node notice, if any (protocol/node-support.ts): one run, one line.
      env: { ...process.env, [NODE_NOTICE_SHOWN]: '1' },
    },
  );
  const stderrTail = keepTail([child.stderr], 2000);
  // Kept for whoever wants to know what the device did (a failed fault test prints it).
  const logTail = keepTail([child.stdout, child.stderr], LOG_TAIL_CHARS);
  // Known once the device is up; the caller gets the device (to stop it) before that.
  const up: { softapUrl: string | undefined } = { softapUrl: undefined };
  const device: DeviceProcess = {
    deviceId: spec.deviceId,
    stateDir,
    configPath,
    child,
    get softapUrl() {
      return up.softapUrl;
    },
    log: logTail,
    stop: () => stopChild(child),
  };
  onSpawn(device);
  up.softapUrl = await untilUp(child, spec.deviceId, stderrTail, spec.startTimeoutMs ?? DEVICE_START_TIMEOUT_MS);
  return device;
}

/** The device's config file: its own state dir, the air (or no controller), simulated Wi-Fi and AP. */
function deviceConfig(spec: DeviceProcessSpec, stateDir: string): object {
  return {
    stateDir,
    verifierPath: spec.verifierPath,
    serialNumber: spec.serial,
    ble: { transport: spec.airSpec, ...(spec.maxAttMtu !== undefined ? { maxAttMtu: spec.maxAttMtu } : {}) },
    trust: { cloudJson: spec.cloudJsonPath },
    wifi: { backend: 'simulated', networks: [spec.network] },
    ...(spec.softap
      ? {
          softap: {
            mode: spec.softap.mode ?? 'always',
            listen: { host: '127.0.0.1', port: 0 },
            accessPoint: { backend: 'simulated' },
            claimDefaults: spec.softap.claimDefaults,
          },
        }
      : {}),
  };
}

/** The last `max` characters written to `streams` (stderr alone: for the error when the child exits early). */
function keepTail(streams: readonly Readable[], max: number): () => string {
  let tail = '';
  for (const s of streams)
    s.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-max);
    });
  return () => tail;
}

/** SIGTERM, then SIGKILL after DEVICE_STOP_TIMEOUT_MS; resolves once the process has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), DEVICE_STOP_TIMEOUT_MS);
  await exited.finally(() => clearTimeout(timer));
}

/**
 * Resolves once the device logs that it is up, with its SoftAP page's URL when it prints one;
 * rejects when it exits first or takes longer than `timeoutMs`.
 */
async function untilUp(
  child: ChildProcessWithoutNullStreams,
  deviceId: string,
  stderrTail: () => string,
  timeoutMs: number,
): Promise<string | undefined> {
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`device ${deviceId} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    lines.on('line', (l) => {
      // `device ID on TRANSPORT: STATE (softap MODE[ at URL])`
      if (/ device \S+ on /.test(l)) {
        clearTimeout(timer);
        resolve(/ at (http:\/\/\S+)\)$/.exec(l)?.[1]);
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`device ${deviceId} exited with ${c}: ${stderrTail().trim()}`));
    });
  });
  lines.removeAllListeners('line');
  child.stdout.resume();
  return url;
}
