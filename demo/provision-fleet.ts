/**
 * The demo's provisioning phase: the central provisions every device (DEMO_PARALLEL_LINKS at once)
 * over BLE or the SoftAP, then proves each one with pubsub on its permanent certificate. One bad
 * device does not stop the others: it is listed as failed with its error code.
 */
import { nodePbkdf2Sha256, nodeRandom } from '../apps/central/cli/node-crypto.js';
import type { AirServer } from '../ble/index.js';
import { DeviceFinder, NobleDeviceLink } from '../ble/central/index.js';
import { loadNoble } from '../ble/index.js';
import { claimMessage } from '../central/cloud/claim-message.js';
import type { CloudSession } from '../central/cloud/cloud-session.js';
import type { CentralConfig } from '../central/config/config.js';
import { provisionDevice } from '../central/engine/index.js';
import type { DeviceLink, ProvisionResult } from '../central/engine/index.js';
import { deviceStorage } from '../apps/device/config/device.js';
import { readDeviceConfig } from '../apps/device/config/load.js';
import type { ProvisioningState } from '../protocol/states.js';
import type { DeviceProcess } from './device-process.js';
import type { Say } from './progress.js';
import { runPubSub } from './pubsub.js';
import type { DemoTransport, DeviceFailure, DeviceSummary } from './summary.js';

/** Devices provisioned over BLE at once (one adapter; each link holds a connection). */
export const DEMO_PARALLEL_LINKS = 3;

/** Everything the provisioning phase uses, set up by the start-up phase (demo/run.ts). */
export interface Fleet {
  readonly transport: DemoTransport;
  readonly say: Say;
  /** Throws when the run was interrupted. */
  readonly checkAbort: () => void;
  readonly network: { ssid: string; passphrase: string };
  /** Setup code of each device, by id. */
  readonly codes: ReadonlyMap<string, string>;
  readonly processes: readonly DeviceProcess[];
  readonly cloud: CloudSession;
  readonly config: CentralConfig;
}

/** How the central reaches the devices, and how many HTTP requests it made (softap). */
export interface Connector {
  connect(deviceId: string): Promise<DeviceLink>;
  httpRequests(): number;
}

/** BLE through noble on the demo's air when there is one, otherwise HTTP to each device's SoftAP page. */
export async function connectorFor(
  airServer: AirServer | undefined,
  processes: readonly DeviceProcess[],
  maxAttMtu: number,
): Promise<Connector> {
  if (airServer) {
    const noble = loadNoble(airServer.spec, { mtu: maxAttMtu });
    const finder = new DeviceFinder(noble);
    return { connect: async (deviceId) => NobleDeviceLink.connect(await finder.find(deviceId)), httpRequests: () => 0 };
  }
  // Loaded only for softap: the BLE demo needs no HTTP client.
  const { connectHttp } = await import('../softap-fallback/client/http-link.js');
  const httpLinks: { readonly counters: { readonly requests: number } }[] = [];
  const urls = new Map(processes.map((p) => [p.deviceId, p.softapUrl]));
  return {
    connect: async (deviceId) => {
      const url = urls.get(deviceId);
      if (url === undefined) throw new Error(`${deviceId} has no SoftAP URL`);
      const link = await connectHttp(url);
      httpLinks.push(link);
      return link;
    },
    httpRequests: () => httpLinks.reduce((n, l) => n + l.counters.requests, 0),
  };
}

/**
 * Provisions every device through `connector`, DEMO_PARALLEL_LINKS at once, and proves it with
 * pubsub (the MQTT client trusts `caPem`, the emulator's CA); both lists sorted by device id.
 */
export async function provisionFleet(
  fleet: Fleet,
  caPem: string,
  connector: Connector,
  deviceIds: readonly string[],
): Promise<{ results: DeviceSummary[]; failed: DeviceFailure[] }> {
  const one: OneDevice = { ...fleet, caPem, connector };
  const results: DeviceSummary[] = [];
  const failed: DeviceFailure[] = [];
  const queue = [...deviceIds];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      fleet.checkAbort();
      try {
        results.push(await provisionOne(one, id));
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        failed.push({
          deviceId: id,
          ...(typeof e.code === 'string' ? { code: e.code } : {}),
          message: String(e.message ?? err),
        });
        fleet.say(`[${id}] failed${typeof e.code === 'string' ? ` (${e.code})` : ''}: ${String(e.message ?? err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEMO_PARALLEL_LINKS, deviceIds.length) }, worker));
  results.sort((a, b) => a.deviceId.localeCompare(b.deviceId, 'en', { numeric: true }));
  failed.sort((a, b) => a.deviceId.localeCompare(b.deviceId, 'en', { numeric: true }));
  return { results, failed };
}

/** What one device's provisioning uses. */
interface OneDevice extends Fleet {
  readonly caPem: string;
  readonly connector: Connector;
}

/** One device: provisioned by the central, then ten messages with its permanent certificate. */
async function provisionOne(fleet: OneDevice, deviceId: string): Promise<DeviceSummary> {
  const { say, transport } = fleet;
  say(`[${deviceId}] provisioning over ${transport === 'ble' ? 'BLE' : 'the SoftAP (HTTP)'}…`);
  const { result, span } = await provision(fleet, deviceId);
  say(`[${deviceId}] provisioned as ${result.thingName}; pubsub with its permanent certificate…`);
  const deviceProcess = fleet.processes.find((p) => p.deviceId === deviceId);
  if (!deviceProcess) throw new Error(`${deviceId} has no device process`);
  const { store } = deviceStorage(readDeviceConfig(deviceProcess.configPath, { required: true }));
  const creds = await store.loadCommitted();
  if (!creds) throw new Error(`${deviceId} has no committed credentials`);
  const pubsub = await runPubSub(creds, fleet.caPem);
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
}

/**
 * The central's provisioning of one device, and the time between two of the device's states as
 * the status notifications showed them (to the end of provisioning when the later one never came).
 */
async function provision(
  fleet: OneDevice,
  deviceId: string,
): Promise<{ result: ProvisionResult; span: (from: ProvisioningState, to: ProvisioningState) => number }> {
  const stateAt = new Map<ProvisioningState, number>();
  const setupCode = fleet.codes.get(deviceId);
  if (setupCode === undefined) throw new Error(`${deviceId} has no setup code`);
  const result = await provisionDevice(
    {
      deviceId,
      setupCode,
      wifi: fleet.network,
      claim: async () => claimMessage(await fleet.cloud.claim(), fleet.config),
    },
    {
      connect: () => fleet.connector.connect(deviceId),
      random: nodeRandom,
      pbkdf2: nodePbkdf2Sha256,
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
  return { result, span };
}
