/**
 * The device's configuration file (JSON), validated eagerly: every problem is a CONFIG_INVALID
 * whose detail names the field (e.g. `wifi.networks[1].rssi`). Every field has a development
 * default, so an empty file (or none) runs on the virtual air, the cloud emulator and a simulated
 * Wi-Fi. README.md documents each field.
 */
import { ProvisioningError } from '../../../protocol/index.js';
import { MAX_ATT_MTU, MIN_ATT_MTU } from '../../../ble/index.js';
import { defaultTransportText } from '../../../ble/transport/index.js';
import { parseSoftApConfig } from './softap.js';
import type { SoftApConfig } from './softap.js';

export type WifiBackendName = 'simulated' | 'nmcli' | 'wpa_cli';
export const WIFI_BACKENDS: readonly WifiBackendName[] = ['simulated', 'nmcli', 'wpa_cli'];
export type KeyAlgorithmName = 'ec-p256' | 'rsa-2048';
export const KEY_ALGORITHMS: readonly KeyAlgorithmName[] = ['ec-p256', 'rsa-2048'];

export interface SimulatedNetworkConfig {
  readonly ssid: string;
  readonly passphrase?: string;
  readonly rssi: number;
  readonly channel?: number;
}

export interface DeviceConfig {
  /** Where the journal, the job, the credentials and the attempt counter live. */
  readonly stateDir: string;
  /** The verifier written by `device make-setup-code` (its deviceId is the advertised name). */
  readonly verifierPath: string;
  /** The device's serial number (template parameter SerialNumber); default: the device id. */
  readonly serialNumber?: string;
  readonly ble: {
    /** HCI transport (ble/README.md): hci0, serial:…, tcp:…, unix:…, air:…. */
    readonly transport: string;
    readonly idleTimeoutMs: number;
    /** Largest ATT_MTU the device grants in an Exchange MTU (23-517; default 517). */
    readonly maxAttMtu: number;
  };
  readonly trust: {
    /** PEM of the CA of the AWS IoT endpoint (Amazon Root CA 1); when absent, read from cloudJson. */
    readonly caPath?: string;
    /** The cloud emulator's cloud.json (written by `npx tp-cloud`), for its CA. */
    readonly cloudJson: string;
  };
  readonly wifi: {
    readonly backend: WifiBackendName;
    /** Wireless interface for nmcli / wpa_cli. */
    readonly interface: string;
    /** The simulated backend's networks. */
    readonly networks: readonly SimulatedNetworkConfig[];
  };
  readonly keyAlgorithm: KeyAlgorithmName;
  /** The SoftAP fallback (./softap.ts). */
  readonly softap: SoftApConfig;
  readonly model?: string;
  readonly firmware?: string;
}

export const DEFAULT_STATE_DIR = '.data/device';
export const DEFAULT_VERIFIER_PATH = '.data/setup-code/verifier.json';
export const DEFAULT_CLOUD_JSON = '.data/cloud/cloud.json';
/** Default session idle timeout (ms); the same as peripheral/engine SESSION_IDLE_TIMEOUT_MS. */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
/** Accepted idle timeouts (ms): long enough for a person, short enough to free the device. */
export const MIN_IDLE_TIMEOUT_MS = 5_000;
export const MAX_IDLE_TIMEOUT_MS = 30 * 60_000;
/** The development Wi-Fi: what `device start` offers with no configuration. */
export const DEFAULT_SIMULATED_NETWORKS: readonly SimulatedNetworkConfig[] = [
  { ssid: 'home', passphrase: 'correct horse battery', rssi: -45, channel: 6 },
  { ssid: 'guest', rssi: -70, channel: 11 },
];

/** The development BLE transport: BLE_TRANSPORT, else the air server `npx tp-air` starts. */
export function defaultTransport(env: NodeJS.ProcessEnv = process.env): string {
  const value = env['BLE_TRANSPORT'];
  return value === undefined || value.trim() === '' ? defaultTransportText() : value;
}

export class Reader {
  constructor(private readonly source: string | undefined) {}

  fail(path: string, problem: string): never {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${path}${this.source ? ` in ${this.source}` : ''}: ${problem}`,
    });
  }

  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    const o = value as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!allowed.includes(key))
        this.fail(path === '(root)' ? key : `${path}.${key}`, `unknown field (expected one of: ${allowed.join(', ')})`);
    }
    return o;
  }

  string(value: unknown, path: string, fallback?: string): string {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'must be a non-empty string');
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  integer(value: unknown, path: string, min: number, max: number, fallback?: number): number {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      this.fail(path, `must be an integer ${min}-${max}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !options.includes(value as T))
      this.fail(path, `must be one of: ${options.join(', ')}`);
    return value as T;
  }
}

export function parseDeviceConfig(raw: unknown, source?: string, env: NodeJS.ProcessEnv = process.env): DeviceConfig {
  const r = new Reader(source);
  const root = r.object(raw ?? {}, '(root)', [
    '$comment',
    'stateDir',
    'verifierPath',
    'serialNumber',
    'ble',
    'trust',
    'wifi',
    'keyAlgorithm',
    'softap',
    'model',
    'firmware',
  ]);
  const ble = r.object(root['ble'] ?? {}, 'ble', ['transport', 'idleTimeoutMs', 'maxAttMtu']);
  const trust = r.object(root['trust'] ?? {}, 'trust', ['caPath', 'cloudJson']);
  const wifi = r.object(root['wifi'] ?? {}, 'wifi', ['backend', 'interface', 'networks']);
  const serialNumber = r.optionalString(root['serialNumber'], 'serialNumber');
  if (serialNumber !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(serialNumber))
    r.fail('serialNumber', 'must be 1-64 of A-Z a-z 0-9 . _ : -');
  const caPath = r.optionalString(trust['caPath'], 'trust.caPath');
  const model = r.optionalString(root['model'], 'model');
  const firmware = r.optionalString(root['firmware'], 'firmware');
  let networks: SimulatedNetworkConfig[] = [...DEFAULT_SIMULATED_NETWORKS];
  if (wifi['networks'] !== undefined) {
    if (!Array.isArray(wifi['networks'])) r.fail('wifi.networks', 'must be an array');
    networks = (wifi['networks'] as unknown[]).map((n, i) => {
      const path = `wifi.networks[${i}]`;
      const o = r.object(n, path, ['ssid', 'passphrase', 'rssi', 'channel']);
      const passphrase = r.optionalString(o['passphrase'], `${path}.passphrase`);
      const channel = o['channel'] === undefined ? undefined : r.integer(o['channel'], `${path}.channel`, 1, 233);
      return {
        ssid: r.string(o['ssid'], `${path}.ssid`),
        ...(passphrase !== undefined ? { passphrase } : {}),
        rssi: r.integer(o['rssi'], `${path}.rssi`, -127, 0, -50),
        ...(channel !== undefined ? { channel } : {}),
      };
    });
  }
  const stateDir = r.string(root['stateDir'], 'stateDir', DEFAULT_STATE_DIR);
  const wifiBackend = r.oneOf(wifi['backend'], 'wifi.backend', WIFI_BACKENDS, 'simulated');
  const softap = parseSoftApConfig(r, root['softap'], stateDir, wifiBackend === 'simulated' ? 'simulated' : 'linux');
  return {
    stateDir,
    verifierPath: r.string(root['verifierPath'], 'verifierPath', DEFAULT_VERIFIER_PATH),
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    ble: {
      transport: r.string(ble['transport'], 'ble.transport', defaultTransport(env)),
      idleTimeoutMs: r.integer(
        ble['idleTimeoutMs'],
        'ble.idleTimeoutMs',
        MIN_IDLE_TIMEOUT_MS,
        MAX_IDLE_TIMEOUT_MS,
        DEFAULT_IDLE_TIMEOUT_MS,
      ),
      maxAttMtu: r.integer(ble['maxAttMtu'], 'ble.maxAttMtu', MIN_ATT_MTU, MAX_ATT_MTU, MAX_ATT_MTU),
    },
    trust: {
      ...(caPath !== undefined ? { caPath } : {}),
      cloudJson: r.string(trust['cloudJson'], 'trust.cloudJson', DEFAULT_CLOUD_JSON),
    },
    wifi: {
      backend: wifiBackend,
      interface: r.string(wifi['interface'], 'wifi.interface', 'wlan0'),
      networks,
    },
    keyAlgorithm: r.oneOf(root['keyAlgorithm'], 'keyAlgorithm', KEY_ALGORITHMS, 'ec-p256'),
    softap,
    ...(model !== undefined ? { model } : {}),
    ...(firmware !== undefined ? { firmware } : {}),
  };
}
