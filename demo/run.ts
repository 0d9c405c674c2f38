/**
 * `npm run demo`: the whole flow on one machine. Cloud emulator (temp dir) + setup, virtual air,
 * N device processes with simulated Wi-Fi, login as the demo user through the provider's pages,
 * one claim, BLE provisioning with the central code, then pubsub with each device's permanent
 * certificate. Everything started is stopped on success, failure and SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { MAX_ATT_MTU, MIN_ATT_MTU, loadNoble, startAir } from '../ble/index.js';
import type { AirServer } from '../ble/index.js';
import { provisionDevice } from '../central/engine/index.js';
import { DeviceFinder, NobleDeviceLink } from '../ble/central/index.js';
import type { DeviceLink, ProvisionResult } from '../central/engine/index.js';
import { Auth } from '../central/auth/auth.js';
import { TokenCache } from '../central/auth/token-cache.js';
import { claimMessage } from '../central/cloud/claim-message.js';
import { CloudSession } from '../central/cloud/cloud-session.js';
import { loadCentralConfig } from '../central/config/config.js';
import { startEmulator } from '../cloud/emulator/index.js';
import type { RunningEmulator } from '../cloud/emulator/index.js';
import { runSetup } from '../cloud/setup/setup.js';
import { DEVICE_POLICY_NAME, PROVISIONING_ROLE_NAME } from '../cloud/deploy/documents.js';
import { deviceStorage } from '../apps/device/config/device.js';
import { readDeviceConfig } from '../apps/device/config/load.js';
import { makeSetupCode } from '../peripheral/setup-code/index.js';
import { UsageError } from '../protocol/errors.js';
import type { ProvisioningState } from '../protocol/states.js';
import { startDeviceProcess } from './device-process.js';
import type { DeviceProcess } from './device-process.js';
import { signInThroughPages } from './login.js';
import { step } from './progress.js';
import { runPubSub } from './pubsub.js';

/** Devices provisioned over BLE at once (one adapter; each link holds a connection). */
export const DEMO_PARALLEL_LINKS = 3;
export const DEMO_NETWORK = { ssid: 'home', passphrase: 'correct horse battery' };

export type DemoTransport = 'ble' | 'softap';

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

export interface DeviceSummary {
  deviceId: string;
  thingName: string;
  certificateId: string;
  topic: string;
  messagesReceived: string[];
  bytesSent: number;
  attPayload: number;
  /**
   * ms per phase. bleTransfer: connect + secure session + transfer, wall time, over the demo's
   * transport (BLE, or HTTP for softap: the name stays for the benchmark's sake).
   */
  phasesMs: { bleTransfer: number; wifi: number; certificate: number; registration: number; firstMessage: number };
  /** softap: the device's page URL (http://127.0.0.1:PORT). */
  url?: string;
}

export interface DeviceFailure {
  deviceId: string;
  /** The error code (protocol/errors.ts) when there is one. */
  code?: string;
  message: string;
}

export interface DemoSummary {
  transport: DemoTransport;
  /** Devices provisioned and proven with ten messages each. */
  devices: DeviceSummary[];
  /** Devices that failed (the others still run: one bad device does not stop a fleet). */
  failed: DeviceFailure[];
  loginMs: number;
  claimMs: number;
  /** Simulated air time of all links' PDUs during provisioning (Air counters), ms; 0 for softap (no air). */
  bleAirTimeMs: number;
  /** Link-layer PDUs on the air during provisioning; 0 for softap. */
  airPackets: number;
  /** softap: frame bytes the central POSTed over HTTP, all devices; 0 for BLE. */
  httpBytesSent: number;
  /** softap: HTTP requests the central made (frames, long-polls, connection set-up), all devices; 0 for BLE. */
  httpRequests: number;
  totalMs: number;
}

type Cleanup = () => Promise<void> | void;

/** What the demo started, stopped in reverse; anything started after the stop is stopped at once. */
class Cleanups {
  private readonly list: Cleanup[] = [];
  private stopped = false;

  add(c: Cleanup): void {
    if (this.stopped)
      void Promise.resolve()
        .then(c)
        .catch(() => undefined);
    else this.list.push(c);
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    for (const c of this.list.splice(0).reverse()) {
      try {
        await c();
      } catch {
        /* keep stopping the rest */
      }
    }
  }
}

/** Runs the demo; resolves with the summary or rejects, after stopping everything it started. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const cleanups = new Cleanups();
  const work = demo(options, cleanups);
  // On abort, stop everything now rather than after the step in flight (which then fails quietly).
  work.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error('interrupted'));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
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
  cleanups.add(() => rmSync(dir, { recursive: true, force: true }));
  const emulator = await step(
    say,
    'starting the cloud emulator (temp data dir)',
    async () => {
      const e = await startEmulator({ dataDir: join(dir, 'cloud') });
      cleanups.add(() => e.close());
      return e;
    },
    (e) => `up, OIDC at ${e.endpoints.oidcIssuer}`,
  );
  checkAbort();
  await step(say, 'setting up the cloud (device policy + provisioning template)', () => setup(emulator));
  checkAbort();

  const transport = options.transport ?? 'ble';
  const config = loadCentralConfig(emulator.cloudJsonPath);
  let airServer: AirServer | undefined;
  let deviceBle: string;
  if (transport === 'ble') {
    const air = await step(
      say,
      'starting the virtual BLE air',
      async () => {
        const a = await startAir({ tcp: { port: 0 } });
        cleanups.add(() => a.close());
        return a;
      },
      (a) => `on ${a.specs[0]!}`,
    );
    airServer = air;
    deviceBle = air.specs[0]!;
  } else {
    // No controller for the devices: they serve setup over the SoftAP alone (`softap.mode` always).
    deviceBle = `air:unix:${join(dir, 'no-air.sock')}`;
  }

  // Ids that share their first 8 characters on purpose: the advertisement carries only "pi-kitch",
  // and the id tag in the scan response is what lets the phone pick each one (PROTOCOL.md §3).
  const deviceIds = Array.from({ length: options.devices }, (_, i) => `pi-kitchen-${i + 1}`);
  const codes = new Map<string, string>();
  const processes: DeviceProcess[] = [];
  say(`starting ${deviceIds.length} device process(es)…`);
  const devicesStarted = Date.now();
  await Promise.all(
    deviceIds.map(async (deviceId, i) => {
      const ddir = join(dir, deviceId);
      mkdirSync(ddir, { recursive: true, mode: 0o700 });
      const made = await makeSetupCode({ deviceId, transports: [transport], outDir: join(ddir, 'setup') });
      codes.set(deviceId, made.formatted);
      await startDeviceProcess(
        {
          deviceId,
          serial: `SN-DEMO-${i + 1}`,
          dir: ddir,
          airSpec: deviceBle,
          cloudJsonPath: emulator.cloudJsonPath,
          verifierPath: made.verifierPath,
          network: DEMO_NETWORK,
          maxAttMtu,
          ...(transport === 'softap'
            ? {
                softap: {
                  claimDefaults: {
                    host: config.iot.dataEndpoint,
                    port: config.iot.mqttPort,
                    templateName: config.iot.provisioningTemplateName,
                  },
                },
              }
            : {}),
        },
        (p) => {
          processes.push(p);
          cleanups.add(() => p.stop());
          say(`[${deviceId}] device process started (pid ${p.child.pid ?? '?'}), waiting for it to be ready…`);
        },
      );
      say(`[${deviceId}] device process ready`);
    }),
  );
  say(
    transport === 'ble'
      ? `${deviceIds.length} device process(es) advertising with simulated Wi-Fi and their own setup codes (${Date.now() - devicesStarted} ms)`
      : `${deviceIds.length} device process(es) serving the SoftAP page (simulated AP, loopback) with simulated Wi-Fi: ${processes.map((p) => `${p.deviceId} ${p.softapUrl ?? '?'}`).join(', ')} (${Date.now() - devicesStarted} ms)`,
  );
  checkAbort();

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
  checkAbort();

  let connect: (deviceId: string) => Promise<DeviceLink>;
  const httpLinks: { readonly counters: { readonly requests: number } }[] = [];
  if (airServer) {
    const noble = loadNoble(airServer.specs[0]!, { mtu: maxAttMtu });
    const finder = new DeviceFinder(noble);
    connect = async (deviceId) => NobleDeviceLink.connect(await finder.find(deviceId));
  } else {
    // Loaded only for softap: the BLE demo needs no HTTP client.
    const { connectHttp } = await import('../softap-fallback/client/http-link.js');
    const urls = new Map(processes.map((p) => [p.deviceId, p.softapUrl]));
    connect = async (deviceId) => {
      const url = urls.get(deviceId);
      if (url === undefined) throw new Error(`${deviceId} has no SoftAP URL`);
      const link = await connectHttp(url);
      httpLinks.push(link);
      return link;
    };
  }
  const airBefore = airServer?.air.counters();
  const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
  const results: DeviceSummary[] = [];
  const failed: DeviceFailure[] = [];
  const queue = [...deviceIds];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      checkAbort();
      try {
        results.push(await provisionOne(id));
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        failed.push({
          deviceId: id,
          ...(typeof e.code === 'string' ? { code: e.code } : {}),
          message: String(e.message ?? err),
        });
        say(`[${id}] failed${typeof e.code === 'string' ? ` (${e.code})` : ''}: ${String(e.message ?? err)}`);
      }
    }
  };
  const provisionOne = async (deviceId: string): Promise<DeviceSummary> => {
    const stateAt = new Map<ProvisioningState, number>();
    say(`[${deviceId}] provisioning over ${transport === 'ble' ? 'BLE' : 'the SoftAP (HTTP)'}…`);
    const result: ProvisionResult = await provisionDevice(
      {
        deviceId,
        setupCode: codes.get(deviceId)!,
        wifi: DEMO_NETWORK,
        claim: async () => claimMessage(await cloud.claim(), config),
      },
      {
        connect: () => connect(deviceId),
        random,
        hooks: {
          onStatus: (s) => {
            if (!stateAt.has(s.state)) stateAt.set(s.state, Date.now());
          },
        },
      },
    );
    const endAt = Date.now();
    const span = (from: ProvisioningState, to: ProvisioningState): number => {
      const a = stateAt.get(from);
      const b = stateAt.get(to) ?? endAt;
      return a === undefined ? 0 : Math.max(0, b - a);
    };
    say(`[${deviceId}] provisioned as ${result.thingName}; pubsub with its permanent certificate…`);
    const deviceProcess = processes.find((p) => p.deviceId === deviceId)!;
    const { store } = deviceStorage(readDeviceConfig(deviceProcess.configPath, { required: true }));
    const creds = await store.loadCommitted();
    if (!creds) throw new Error(`${deviceId} has no committed credentials`);
    const pubsub = await runPubSub(creds, emulator.caPem);
    say(`[${deviceId}] received ${pubsub.received.length} messages on ${pubsub.topic}`);
    return {
      deviceId,
      thingName: result.thingName,
      certificateId: result.certificateId,
      topic: pubsub.topic,
      messagesReceived: pubsub.received,
      ...(deviceProcess.softapUrl !== undefined && transport === 'softap' ? { url: deviceProcess.softapUrl } : {}),
      bytesSent: result.bytesSent,
      attPayload: result.attPayload,
      phasesMs: {
        bleTransfer: (result.phasesMs.connect ?? 0) + (result.phasesMs.session ?? 0) + (result.phasesMs.transfer ?? 0),
        wifi: span('wifiConnecting', 'cloudConnecting'),
        certificate: span('cloudConnecting', 'registering'),
        registration: span('registering', 'verifying'),
        firstMessage: pubsub.firstMessageMs,
      },
    };
  };
  await Promise.all(Array.from({ length: Math.min(DEMO_PARALLEL_LINKS, deviceIds.length) }, worker));
  const airAfter = airServer?.air.counters();
  results.sort((a, b) => a.deviceId.localeCompare(b.deviceId, 'en', { numeric: true }));
  failed.sort((a, b) => a.deviceId.localeCompare(b.deviceId, 'en', { numeric: true }));
  return {
    transport,
    devices: results,
    failed,
    loginMs,
    claimMs,
    bleAirTimeMs: airAfter && airBefore ? Math.round((airAfter.airTimeUs - airBefore.airTimeUs) / 1000) : 0,
    airPackets: airAfter && airBefore ? airAfter.llPdus - airBefore.llPdus : 0,
    httpBytesSent: transport === 'softap' ? results.reduce((n, d) => n + d.bytesSent, 0) : 0,
    httpRequests: httpLinks.reduce((n, l) => n + l.counters.requests, 0),
    totalMs: Date.now() - started,
  };
}

async function setup(emulator: RunningEmulator): Promise<void> {
  const admin = new IoTClient({
    region: emulator.region,
    endpoint: emulator.endpoints.iotControlPlane,
    credentials: { accessKeyId: emulator.admin.accessKeyId, secretAccessKey: emulator.admin.secretAccessKey },
  });
  try {
    await runSetup(admin, {
      region: emulator.region,
      accountId: emulator.accountId,
      policyName: DEVICE_POLICY_NAME,
      templateName: emulator.provisioningTemplateName,
      provisioningRoleArn: `arn:aws:iam::${emulator.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
    });
  } finally {
    admin.destroy();
  }
}
