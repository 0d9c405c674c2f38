/**
 * `npx tp-demo`: the whole flow on one machine. Cloud emulator (temp dir) + setup, virtual air,
 * N device processes with simulated Wi-Fi, login as the demo user through the provider's pages,
 * one claim, BLE provisioning with the central code, then pubsub with each device's permanent
 * certificate. Everything started is stopped on success, failure and SIGINT/SIGTERM.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ATT_MTU, MIN_ATT_MTU, startAir } from '../ble/index.js';
import type { AirServer } from '../ble/index.js';
import { Auth } from '../central/auth/auth.js';
import { TokenCache } from '../central/auth/token-cache.js';
import { CloudSession } from '../central/cloud/cloud-session.js';
import { loadCentralConfig } from '../central/config/config.js';
import type { CentralConfig } from '../central/config/config.js';
import { startEmulator } from '../cloud/emulator/index.js';
import type { RunningEmulator } from '../cloud/emulator/index.js';
import { makeSetupCode } from '../peripheral/setup-code/index.js';
import { UsageError } from '../protocol/errors.js';
import { Cleanups } from './cleanups.js';
import { setUpCloud } from './cloud-setup.js';
import { startDeviceProcess } from './device-process.js';
import type { DeviceProcess } from './device-process.js';
import { signInThroughPages } from './login.js';
import { step } from './progress.js';
import type { Say } from './progress.js';
import { connectorFor, provisionFleet } from './provision-fleet.js';
import type { Fleet } from './provision-fleet.js';
import type { DemoSummary, DemoTransport } from './summary.js';

export type { DemoSummary, DemoTransport, DeviceFailure, DeviceSummary } from './summary.js';

export const DEMO_NETWORK = { ssid: 'home', passphrase: 'correct horse battery' };

export interface DemoOptions {
  devices: number;
  /** Progress lines (stderr in the CLI); default: none. */
  progress?: (line: string) => void;
  signal?: AbortSignal;
  /**
   * BLE only: the ATT_MTU the central asks for and every device grants (MIN_ATT_MTU..MAX_ATT_MTU,
   * default MAX_ATT_MTU = 517). noble is a process singleton bound to one air: one BLE run per process.
   */
  maxAttMtu?: number;
  /** How the central reaches the devices (default 'ble'). */
  transport?: DemoTransport;
}

/** Runs the demo; resolves with the summary or rejects, after stopping everything it started. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  // Failed cleanups are reported even when no progress is wanted: something may be left running.
  const cleanups = new Cleanups(options.progress ?? ((line) => console.error(line)));
  const work = demo(options, cleanups);
  // On abort, stop everything now rather than after the step in flight. That step then fails because
  // its parts were stopped under it: the expected end of an interrupted run, so its rejection is
  // handled here and not reported (without an abort, the race below hands it to the caller).
  work.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error('interrupted'));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  // Rejects only on abort; when the abort comes after the race is settled nobody awaits it any more,
  // and an interrupted run is not a failure to report.
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    await cleanups.stopAll();
  }
}

/** Options checked before anything starts: CONFIG_INVALID naming the option. */
function checkOptions(options: DemoOptions): void {
  const { devices, maxAttMtu, transport } = options;
  if (!Number.isInteger(devices) || devices < 1)
    throw new UsageError('CONFIG_INVALID', { detail: 'devices: must be an integer >= 1' });
  if (maxAttMtu !== undefined && (!Number.isInteger(maxAttMtu) || maxAttMtu < MIN_ATT_MTU || maxAttMtu > MAX_ATT_MTU)) {
    throw new UsageError('CONFIG_INVALID', { detail: `maxAttMtu: must be an integer ${MIN_ATT_MTU}-${MAX_ATT_MTU}` });
  }
  if (transport !== undefined && transport !== 'ble' && transport !== 'softap')
    throw new UsageError('CONFIG_INVALID', { detail: "transport: must be 'ble' or 'softap'" });
}

async function demo(options: DemoOptions, cleanups: Cleanups): Promise<DemoSummary> {
  const started = Date.now();
  checkOptions(options);
  const say = options.progress ?? ((): void => undefined);
  const maxAttMtu = options.maxAttMtu ?? MAX_ATT_MTU;
  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new Error('interrupted');
  };
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  cleanups.add(`the temp dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const emulator = await startCloud(say, dir, cleanups, checkAbort);

  const transport = options.transport ?? 'ble';
  const config = loadCentralConfig(emulator.cloudJsonPath);
  const airServer = transport === 'ble' ? await startBleAir(say, cleanups) : undefined;
  // softap: no controller for the devices; they serve setup over the SoftAP alone (`softap.mode` always).
  const deviceBle = airServer ? airServer.spec : `air:unix:${join(dir, 'no-air.sock')}`;
  const world: DeviceWorld = { say, dir, transport, config, emulator, deviceBle, maxAttMtu, cleanups };
  const { deviceIds, codes, processes } = await startDevices(world, options.devices);
  checkAbort();

  const { cloud, loginMs, claimMs } = await signIn(say, emulator, config, dir);
  checkAbort();

  const connector = await connectorFor(airServer, processes, maxAttMtu);
  const airBefore = airServer?.air.counters();
  const fleet: Fleet = { transport, say, checkAbort, network: DEMO_NETWORK, codes, processes, cloud, config };
  const { results, failed } = await provisionFleet(fleet, emulator.caPem, connector, deviceIds);
  const airAfter = airServer?.air.counters();
  return {
    transport,
    devices: results,
    failed,
    loginMs,
    claimMs,
    bleAirTimeMs: airAfter && airBefore ? Math.round((airAfter.airTimeUs - airBefore.airTimeUs) / 1000) : 0,
    airPackets: airAfter && airBefore ? airAfter.llPdus - airBefore.llPdus : 0,
    httpBytesSent: transport === 'softap' ? results.reduce((n, d) => n + d.bytesSent, 0) : 0,
    httpRequests: connector.httpRequests(),
    totalMs: Date.now() - started,
  };
}

/** The cloud emulator in `dir`, set up (device policy + provisioning template) as `npx tp-setup` does. */
export async function startCloud(
  say: Say,
  dir: string,
  cleanups: Cleanups,
  checkAbort: () => void,
): Promise<RunningEmulator> {
  const emulator = await step(
    say,
    'starting the cloud emulator (temp data dir)',
    async () => {
      const e = await startEmulator({ dataDir: join(dir, 'cloud') });
      cleanups.add('the cloud emulator', () => e.close());
      return e;
    },
    (e) => `up, OIDC at ${e.endpoints.oidcIssuer}`,
  );
  checkAbort();
  await step(say, 'setting up the cloud (device policy + provisioning template)', () => setUpCloud(emulator));
  checkAbort();
  return emulator;
}

/** The virtual air on a free TCP port (the devices and the central attach to its `spec`). */
export function startBleAir(say: Say, cleanups: Cleanups): Promise<AirServer> {
  return step(
    say,
    'starting the virtual BLE air',
    async () => {
      const a = await startAir({ tcp: { port: 0 } });
      cleanups.add('the air server', () => a.close());
      return a;
    },
    (a) => `on ${a.spec}`,
  );
}

/** What the device processes are started with. */
export interface DeviceWorld {
  say: Say;
  dir: string;
  transport: DemoTransport;
  config: CentralConfig;
  emulator: RunningEmulator;
  /** The devices' BLE transport: the demo's air, or (softap) a socket nothing listens on. */
  deviceBle: string;
  maxAttMtu: number;
  cleanups: Cleanups;
  /** How long each device process may take to be up, ms (default: demo/device-process.ts's). */
  deviceStartTimeoutMs?: number;
}

/** Starts `count` device processes, each with a setup code of its own; resolves when all are up. */
async function startDevices(
  world: DeviceWorld,
  count: number,
): Promise<{ deviceIds: string[]; codes: Map<string, string>; processes: DeviceProcess[] }> {
  const { say, transport } = world;
  // Ids that share their first 8 characters on purpose: the advertisement carries only "pi-kitch",
  // and the id tag in the scan response is what lets the phone pick each one (PROTOCOL.md §3).
  const deviceIds = Array.from({ length: count }, (_, i) => `pi-kitchen-${i + 1}`);
  const codes = new Map<string, string>();
  const processes: DeviceProcess[] = [];
  say(`starting ${deviceIds.length} device process(es)…`);
  const devicesStarted = Date.now();
  await Promise.all(
    deviceIds.map(async (deviceId, i) => {
      const p = await startDevice(world, { deviceId, serial: `SN-DEMO-${i + 1}` }, codes, (spawned) =>
        processes.push(spawned),
      );
      say(`[${p.deviceId}] device process ready`);
    }),
  );
  say(
    transport === 'ble'
      ? `${deviceIds.length} device process(es) advertising with simulated Wi-Fi and their own setup codes (${Date.now() - devicesStarted} ms)`
      : `${deviceIds.length} device process(es) serving the SoftAP page (simulated AP, loopback) with simulated Wi-Fi: ${processes.map((p) => `${p.deviceId} ${p.softapUrl ?? '?'}`).join(', ')} (${Date.now() - devicesStarted} ms)`,
  );
  return { deviceIds, codes, processes };
}

/** One device: its setup code (into `codes`), its config and its process, stopped with the demo. */
export async function startDevice(
  world: DeviceWorld,
  { deviceId, serial }: { deviceId: string; serial: string },
  codes: Map<string, string>,
  spawned: (p: DeviceProcess) => void,
): Promise<DeviceProcess> {
  const { config, transport, cleanups, say } = world;
  const ddir = join(world.dir, deviceId);
  mkdirSync(ddir, { recursive: true, mode: 0o700 });
  const made = await makeSetupCode({ deviceId, transports: [transport], outDir: join(ddir, 'setup') });
  codes.set(deviceId, made.formatted);
  const claimDefaults = {
    host: config.iot.dataEndpoint,
    port: config.iot.mqttPort,
    templateName: config.iot.provisioningTemplateName,
  };
  return startDeviceProcess(
    {
      deviceId,
      serial,
      dir: ddir,
      airSpec: world.deviceBle,
      cloudJsonPath: world.emulator.cloudJsonPath,
      verifierPath: made.verifierPath,
      network: DEMO_NETWORK,
      maxAttMtu: world.maxAttMtu,
      ...(transport === 'softap' ? { softap: { claimDefaults } } : {}),
      ...(world.deviceStartTimeoutMs !== undefined ? { startTimeoutMs: world.deviceStartTimeoutMs } : {}),
    },
    (p) => {
      spawned(p);
      cleanups.add(`device process ${deviceId}`, () => p.stop());
      say(`[${deviceId}] device process started (pid ${p.child.pid ?? '?'}), waiting for it to be ready…`);
    },
  );
}

/**
 * Logs in as the emulator's demo user through the provider's pages (the tokens cached in
 * `dir`/tokens.json, where the central CLI's --token-cache finds them), then gets one claim.
 */
export async function signIn(
  say: Say,
  emulator: RunningEmulator,
  config: CentralConfig,
  dir: string,
): Promise<{ cloud: CloudSession; loginMs: number; claimMs: number }> {
  const demo = emulator.demoUser;
  if (!demo) throw new Error('the emulator has no demo user');
  const auth = new Auth({
    issuer: config.oidc.issuer,
    clientId: config.oidc.clientId,
    scope: config.oidc.scope,
    cache: new TokenCache(join(dir, 'tokens.json')),
  });
  say(`logging in as the demo user "${demo.username}" through the provider's login pages (authorization code flow)…`);
  let t = Date.now();
  await auth.loginWithBrowser((url) => signInThroughPages(url, demo.username, demo.password));
  const loginMs = Date.now() - t;
  const cloud = new CloudSession({ config, idToken: () => auth.idToken() });
  t = Date.now();
  await cloud.claim();
  const claimMs = Date.now() - t;
  say(`claim issued (${claimMs} ms)`);
  return { cloud, loginMs, claimMs };
}
