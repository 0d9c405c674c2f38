/**
 * Puts the device together from its configuration: storage, Wi-Fi backend, fleet routine, the agent
 * behind the JobLock, and the two ways in: BLE (GATT server on the configured HCI transport) and
 * the SoftAP (access point + HTTP server), switched per `softap.mode` (apps/device/transports).
 * Both share ONE attempt limiter, the agent and the info bytes. `device start` runs this.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMessage } from '../../../protocol/index.js';
import { AttemptLimiter } from '../../../protocol/session/index.js';
import type { SetupVerifier } from '../../../protocol/session/index.js';
import {
  accessPointConfigForDevice,
  LinuxAccessPoint,
  SimulatedAccessPoint,
  ssidForDevice,
} from '../../../softap-fallback/ap/index.js';
import type { AccessPointBackend, AccessPointConfigInput } from '../../../softap-fallback/ap/index.js';
import {
  BleTransport,
  JobLockedAgent,
  loadOrCreateDeviceSecret,
  SoftApTransport,
  startProvisioningHttpServer,
  startSetupTransports,
} from '../transports/index.js';
import type { RunningSetup } from '../transports/index.js';
import { JobLock } from '../../../softap-fallback/policy/index.js';
import type { JobLockEvent } from '../../../softap-fallback/policy/index.js';
import { claimFleetRunner, JobFile } from '../../../peripheral/agent/index.js';
import type { AgentOptions } from '../../../peripheral/agent/index.js';
import { buildInfo } from '../../../peripheral/engine/index.js';
import { FileAttemptStore, readVerifierFile } from '../../../peripheral/setup-code/index.js';
import { CredentialStore, ProvisioningJournal } from '../../../peripheral/storage/index.js';
import { systemClock, systemTimers } from '../../../peripheral/system/index.js';
import { NmcliBackend, SimulatedWifi, WpaCliBackend } from '../../../peripheral/wifi/index.js';
import type { WifiBackend } from '../../../peripheral/wifi/index.js';
import { nodeRandom } from './node-random.js';
import { readTrustPem } from './load.js';
import { RuntimeStatusFile } from './runtime-status.js';
import type { DeviceConfig } from './schema.js';

export const CREDENTIALS_DIR = 'credentials';
export const JOURNAL_FILE = 'journal.log';
export const ATTEMPTS_FILE = 'attempts.json';
/** The Linux AP backend's runtime directory (a tmpfs: a reboot clears stale pid files). */
export const SOFTAP_RUNTIME_DIR = '/run/trusted-provisioning/softap';

export interface DeviceStorage {
  store: CredentialStore;
  journal: ProvisioningJournal;
  jobFile: JobFile;
}

export function deviceStorage(config: DeviceConfig): DeviceStorage {
  return {
    store: new CredentialStore({ dir: join(config.stateDir, CREDENTIALS_DIR) }),
    journal: new ProvisioningJournal({ path: join(config.stateDir, JOURNAL_FILE) }),
    jobFile: new JobFile(config.stateDir),
  };
}

/** The station Wi-Fi backend the configuration names (the agent joins with it, the link monitor watches it). */
export function wifiBackend(config: DeviceConfig, log?: (line: string) => void): WifiBackend {
  switch (config.wifi.backend) {
    case 'nmcli':
      return new NmcliBackend({ ifname: config.wifi.interface, ...(log ? { log } : {}) });
    case 'wpa_cli':
      return new WpaCliBackend({ ifname: config.wifi.interface, ...(log ? { log } : {}) });
    case 'simulated':
      return new SimulatedWifi({ networks: config.wifi.networks.map((n) => ({ ...n })) });
  }
}

export function accessPointBackend(config: DeviceConfig, log: (line: string) => void): AccessPointBackend {
  if (config.softap.accessPoint.backend === 'simulated') return new SimulatedAccessPoint({ clock: Date.now });
  return new LinuxAccessPoint({ stateDir: SOFTAP_RUNTIME_DIR, onWarning: log });
}

export interface RunningDevice {
  readonly deviceId: string;
  /** The agent behind the JobLock (`jobTransport` says who holds it). */
  readonly agent: JobLockedAgent;
  readonly setup: RunningSetup;
  /** The SoftAP page's URL while the AP runs. */
  readonly softapUrl: string | undefined;
  stop(): Promise<void>;
}

export interface StartDeviceOverrides {
  /** Tests: a backend of their own (e.g. a SimulatedAccessPoint they inspect). */
  accessPoint?: AccessPointBackend;
}

export async function startDevice(
  config: DeviceConfig,
  log: (line: string) => void,
  overrides: StartDeviceOverrides = {},
): Promise<RunningDevice> {
  const verifier = readVerifierFile(config.verifierPath);
  const caPem = readTrustPem(config);
  // The attempt counter and the journal live here; 0700 as they sit next to the keys.
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const wifi = wifiBackend(config, log);
  const jobs = jobEventRelay();
  const agent = new JobLockedAgent(agentDeps(config, verifier.deviceId, caPem, wifi, log), jobs.lock);
  await agent.start();
  const parts = sharedParts(config, verifier, agent, log);
  const ble = bleTransport(config, parts);
  const runtime = await reportRuntime(config, ble, log);
  const backend = overrides.accessPoint ?? accessPointBackend(config, log);
  const softap = softApTransport(config, parts, backend);
  const running = await startSetupTransports({
    mode: config.softap.mode,
    policy: config.softap.policy,
    ble,
    softap,
    agent,
    wifiConnected: async () => (await wifi.current()).connected,
    timers: systemTimers,
    clock: () => performance.now(),
    log,
  }).catch(async (err: unknown) => {
    ble.close();
    await agent.stop();
    await runtime.remove();
    throw err;
  });
  jobs.attach(running);
  return {
    deviceId: verifier.deviceId,
    agent,
    setup: running,
    get softapUrl() {
      return running.softapUrl;
    },
    async stop() {
      await running.stop();
      ble.close();
      await agent.stop();
      await runtime.remove();
    },
  };
}

/**
 * The JobLock, and where its events go: to the transports once they run (the lock is needed by the
 * agent, which they need). Events before that (a phone quicker than the policy) are replayed then.
 */
function jobEventRelay(): { lock: JobLock; attach(setup: RunningSetup): void } {
  let setup: RunningSetup | undefined;
  const early: JobLockEvent[] = [];
  const lock = new JobLock({ onChange: (event) => (setup ? setup.jobEvent(event) : early.push(event)) });
  return {
    lock,
    attach: (running) => {
      setup = running;
      for (const event of early.splice(0)) running.jobEvent(event);
    },
  };
}

/** What the agent works with: storage, the Wi-Fi backend, the fleet routine. */
function agentDeps(
  config: DeviceConfig,
  deviceId: string,
  caPem: string,
  wifi: WifiBackend,
  log: (line: string) => void,
): AgentOptions {
  const { store, journal, jobFile } = deviceStorage(config);
  return {
    store,
    journal,
    jobFile,
    wifi,
    fleet: claimFleetRunner({
      store,
      journal,
      caPem,
      serialNumber: config.serialNumber ?? deviceId,
      keyAlgorithm: config.keyAlgorithm,
    }),
    clock: systemClock,
    log,
  };
}

/** What BLE and the SoftAP share: the agent, the verifier, ONE attempt limiter, randomness, the info bytes. */
interface SharedParts {
  readonly agent: JobLockedAgent;
  readonly verifier: SetupVerifier;
  readonly attempts: AttemptLimiter;
  readonly random: (n: number) => Uint8Array;
  readonly describe: { readonly model?: string; readonly firmware?: string };
  readonly info: () => Uint8Array;
  readonly log: (line: string) => void;
}

function sharedParts(
  config: DeviceConfig,
  verifier: SetupVerifier,
  agent: JobLockedAgent,
  log: (line: string) => void,
): SharedParts {
  // ONE limiter: wrong setup codes over BLE and over the SoftAP count together.
  const attempts = new AttemptLimiter(new FileAttemptStore(join(config.stateDir, ATTEMPTS_FILE)), Date.now);
  const random = nodeRandom;
  const describe = {
    ...(config.model !== undefined ? { model: config.model } : {}),
    ...(config.firmware !== undefined ? { firmware: config.firmware } : {}),
  };
  const info = (): Uint8Array =>
    encodeMessage(buildInfo({ deviceId: verifier.deviceId, state: agent.state, ...describe }));
  return { agent, verifier, attempts, random, describe, info, log };
}

function bleTransport(config: DeviceConfig, parts: SharedParts): BleTransport {
  const { agent, verifier, attempts, random, describe, log } = parts;
  return new BleTransport({
    transport: config.ble.transport,
    maxAttMtu: config.ble.maxAttMtu,
    timers: systemTimers,
    log,
    server: { agent, verifier, attempts, random, idleTimeoutMs: config.ble.idleTimeoutMs, ...describe, log },
  });
}

/** The runtime status file (pid, transport, whether the BLE controller is there), kept up to date. */
async function reportRuntime(
  config: DeviceConfig,
  ble: BleTransport,
  log: (line: string) => void,
): Promise<RuntimeStatusFile> {
  const runtime = new RuntimeStatusFile(config.stateDir);
  await runtime.removeStaleTempFiles();
  const presence = { unknown: 'unknown', present: 'available', absent: 'unavailable' } as const;
  const report = (): Promise<void> =>
    runtime.write(
      {
        pid: process.pid,
        transport: config.ble.transport,
        ble: presence[ble.controller],
        since: new Date().toISOString(),
      },
      (err) => log(`status: could not write ${runtime.path}: ${err.message}`),
    );
  await report();
  ble.onController(() => {
    void report();
  });
  return runtime;
}

function softApTransport(config: DeviceConfig, parts: SharedParts, backend: AccessPointBackend): SoftApTransport {
  const { agent, verifier, attempts, info, random, log } = parts;
  return new SoftApTransport({
    backend,
    log,
    accessPoint: () => accessPointInput(config.softap.accessPoint, verifier.deviceId, log),
    startServer: () =>
      startProvisioningHttpServer({
        agent,
        deviceId: verifier.deviceId,
        verifier,
        attempts,
        info,
        random,
        now: Date.now,
        timers: systemTimers,
        listen: config.softap.listen,
        ...(config.softap.claimDefaults ? { claimDefaults: config.softap.claimDefaults } : {}),
        log,
      }),
  });
}

/** The access point's settings: an open network when configured so, else WPA2 from the device secret. */
async function accessPointInput(
  ap: DeviceConfig['softap']['accessPoint'],
  deviceId: string,
  log: (line: string) => void,
): Promise<AccessPointConfigInput> {
  const base = {
    interface: ap.interface,
    countryCode: ap.countryCode ?? 'XX',
    ...(ap.channel !== undefined ? { channel: ap.channel } : {}),
  };
  if (ap.security === 'open')
    return {
      ...base,
      ssid: ssidForDevice(deviceId, ap.ssidPrefix),
      security: { mode: 'open', acknowledgeOpenNetwork: true },
    };
  const deviceSecret = await loadOrCreateDeviceSecret(ap.secretPath, 'softap.accessPoint.secretPath', log);
  return accessPointConfigForDevice({ ...base, deviceId, deviceSecret, ssidPrefix: ap.ssidPrefix });
}
