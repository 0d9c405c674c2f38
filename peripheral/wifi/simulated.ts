/**
 * A simulated Wi-Fi for development and tests: a configured set of networks and failure modes, on
 * an injected clock. It behaves like the real backends at the interface: the same codes, the same
 * rollback (a failed join leaves the previous network connected and nothing new configured).
 */
import { ProvisioningError, sleep } from '../../protocol/index.js';
import type { ErrorCode, ScanNetwork, Timers } from '../../protocol/index.js';
import { textCredentials, validateCredentials, wifiError } from './credentials.js';
import { toScanNetworks } from './scan.js';
import type { ToolSecurity } from './scan.js';
import { WIFI_CONNECT_TIMEOUT_MS } from './types.js';
import type { JoinOptions, WifiBackend, WifiCredentials, WifiJoined, WifiStatus } from './types.js';
import { systemTimers } from '../system/index.js';

export type SimulatedFailure =
  /** Association works but never gets an address. */
  | 'no-dhcp'
  /** Association is refused (e.g. MAC filter, AP full). */
  | 'association-fails'
  /** Nothing happens until the timeout. */
  | 'timeout'
  /** The first attempt fails with an association failure, later ones work. */
  | 'flaky-first-attempt';

export interface SimulatedNetwork {
  ssid: string;
  /** Absent for an open network. */
  passphrase?: string;
  rssi: number;
  security?: ToolSecurity;
  channel?: number;
  failure?: SimulatedFailure;
  /** Address handed out on success (default 192.168.4.x/24). */
  ipv4?: string;
}

export interface SimulatedWifiOptions {
  networks: SimulatedNetwork[];
  /** Time for the simulated delays (default the system's; tests pass a manual one). */
  timers?: Timers;
  /** Simulated time a join takes (ms). */
  joinDelayMs?: number;
  /** Simulated time a scan takes (ms). */
  scanDelayMs?: number;
  /** The network connected at start, if any. */
  connectedTo?: string;
  /** Scans fail (WIFI_SCAN_FAILED). */
  scanFails?: boolean;
}

export const SIMULATED_JOIN_DELAY_MS = 200;
export const SIMULATED_SCAN_DELAY_MS = 100;

export class SimulatedWifi implements WifiBackend {
  readonly name = 'simulated';
  private readonly timers: Timers;
  private connected: { ssid: string; ipv4: string } | undefined;
  /** Networks configured by provisioning (what a real backend would have saved). */
  readonly saved = new Set<string>();
  /** Connection attempts by SSID (for flaky-first-attempt and tests). */
  readonly attempts = new Map<string, number>();

  constructor(private readonly options: SimulatedWifiOptions) {
    this.timers = options.timers ?? systemTimers;
    const start = options.connectedTo ? options.networks.find((n) => n.ssid === options.connectedTo) : undefined;
    if (start) this.connected = { ssid: start.ssid, ipv4: start.ipv4 ?? '192.168.4.10/24' };
  }

  async scan(options: { signal?: AbortSignal } = {}): Promise<ScanNetwork[]> {
    await sleep(this.timers, this.options.scanDelayMs ?? SIMULATED_SCAN_DELAY_MS, options.signal);
    if (this.options.scanFails) throw new ProvisioningError('WIFI_SCAN_FAILED', { detail: 'simulated scan failure' });
    return toScanNetworks(
      this.options.networks
        .map((n) => ({
          ssid: n.ssid,
          rssi: n.rssi,
          security: n.security ?? (n.passphrase ? 'wpa2-psk' : 'open'),
          ...(n.channel ? { channel: n.channel } : {}),
        }))
        .sort((a, b) => b.rssi - a.rssi),
    );
  }

  current(): Promise<WifiStatus> {
    return Promise.resolve(
      this.connected ? { connected: true, ssid: this.connected.ssid, ipv4: this.connected.ipv4 } : { connected: false },
    );
  }

  async join(credentials: WifiCredentials, options: JoinOptions = {}): Promise<WifiJoined> {
    const creds = textCredentials(credentials, this.name);
    validateCredentials(creds);
    const secret = creds.passphrase;
    const timeoutMs = options.timeoutMs ?? WIFI_CONNECT_TIMEOUT_MS;
    const attempt = (this.attempts.get(creds.ssid) ?? 0) + 1;
    this.attempts.set(creds.ssid, attempt);
    const net = this.options.networks.find((n) => n.ssid === creds.ssid);
    const fail = (code: ErrorCode, detail: string): never => {
      // The previous connection (if any) is untouched and nothing is saved: the real backends' rollback.
      throw wifiError(code, detail, secret);
    };
    const joinDelay = Math.min(this.options.joinDelayMs ?? SIMULATED_JOIN_DELAY_MS, timeoutMs);
    await sleep(this.timers, joinDelay, options.signal);
    if (!net) return fail('WIFI_NETWORK_NOT_FOUND', `no network named ${JSON.stringify(creds.ssid)} in range`);
    if ((net.passphrase ?? '') !== (creds.passphrase ?? ''))
      return fail('WIFI_AUTH_FAILED', `the network ${JSON.stringify(net.ssid)} rejected the key`);
    if (net.failure === 'association-fails' || (net.failure === 'flaky-first-attempt' && attempt === 1))
      return fail('WIFI_ASSOCIATION_FAILED', 'the access point refused the association');
    if (net.failure === 'timeout') {
      await sleep(this.timers, Math.max(0, timeoutMs - joinDelay), options.signal);
      return fail('WIFI_TIMEOUT', `not connected within ${timeoutMs} ms`);
    }
    if (net.failure === 'no-dhcp') {
      await sleep(this.timers, Math.max(0, timeoutMs - joinDelay), options.signal);
      return fail('WIFI_NO_ADDRESS', `no IPv4 address within ${timeoutMs} ms`);
    }
    const ipv4 = net.ipv4 ?? `192.168.4.${20 + this.saved.size}/24`;
    this.connected = { ssid: net.ssid, ipv4 };
    this.saved.add(net.ssid);
    return { address: ipv4 };
  }

  forget(): Promise<void> {
    if (this.connected && this.saved.has(this.connected.ssid)) this.connected = undefined;
    this.saved.clear();
    return Promise.resolve();
  }
}
