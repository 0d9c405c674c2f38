/**
 * Puts the device together from its configuration: storage, Wi-Fi backend, fleet routine, agent,
 * and the GATT server on the configured BLE transport. `device start` runs this.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadBleno } from '../../ble/index.js';
import { AttemptLimiter } from '../../protocol/session/index.js';
import { adaptWifiBackend, claimFleetRunner, JobFile, ProvisioningAgent } from '../agent/index.js';
import type { WifiBackend } from '../agent/index.js';
import { ProvisioningGattServer } from '../gatt/index.js';
import { FileAttemptStore, readVerifierFile } from '../setup-code/index.js';
import { CredentialStore } from '../storage/credential-store.js';
import { ProvisioningJournal } from '../storage/journal.js';
import { systemClock } from '../fleet/clock.js';
import { NmcliBackend } from '../wifi/nmcli.js';
import { SimulatedWifi } from '../wifi/simulated.js';
import { WpaCliBackend } from '../wifi/wpa-cli.js';
import { readTrustPem } from './load.js';
import type { DeviceConfig } from './schema.js';

export const CREDENTIALS_DIR = 'credentials';
export const JOURNAL_FILE = 'journal.log';
export const ATTEMPTS_FILE = 'attempts.json';

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

export function wifiBackend(config: DeviceConfig): WifiBackend {
  switch (config.wifi.backend) {
    case 'nmcli':
      return adaptWifiBackend(new NmcliBackend({ ifname: config.wifi.interface }));
    case 'wpa_cli':
      return adaptWifiBackend(new WpaCliBackend({ ifname: config.wifi.interface }));
    case 'simulated':
      return adaptWifiBackend(new SimulatedWifi({ networks: config.wifi.networks.map((n) => ({ ...n })) }));
  }
}

export interface RunningDevice {
  readonly deviceId: string;
  readonly agent: ProvisioningAgent;
  readonly server: ProvisioningGattServer;
  stop(): Promise<void>;
}

export async function startDevice(config: DeviceConfig, log: (line: string) => void): Promise<RunningDevice> {
  const verifier = readVerifierFile(config.verifierPath);
  const caPem = readTrustPem(config);
  // The attempt counter and the journal live here; 0700 as they sit next to the keys.
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const { store, journal, jobFile } = deviceStorage(config);
  const agent = new ProvisioningAgent({
    store, journal, jobFile,
    wifi: wifiBackend(config),
    fleet: claimFleetRunner({ store, journal, caPem, serialNumber: config.serialNumber ?? verifier.deviceId, keyAlgorithm: config.keyAlgorithm }),
    clock: systemClock,
    log,
  });
  await agent.start();
  const bleno = loadBleno(config.ble.transport);
  const server = new ProvisioningGattServer({
    bleno, agent, verifier,
    attempts: new AttemptLimiter(new FileAttemptStore(join(config.stateDir, ATTEMPTS_FILE)), Date.now),
    random: (n) => new Uint8Array(randomBytes(n)),
    idleTimeoutMs: config.ble.idleTimeoutMs,
    ...(config.model !== undefined ? { model: config.model } : {}),
    ...(config.firmware !== undefined ? { firmware: config.firmware } : {}),
    log,
  });
  await server.start();
  return {
    deviceId: verifier.deviceId,
    agent,
    server,
    async stop() {
      await server.stop();
      await agent.stop();
    },
  };
}
