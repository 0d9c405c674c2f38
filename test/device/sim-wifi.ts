/**
 * A simulated Wi-Fi for the device tests: a configured set of networks with passwords and failure
 * modes. (peripheral/wifi has the product's backends; this one only has to be predictable.)
 */
import { ProvisioningError } from '../../protocol/errors.js';
import type { ErrorCode } from '../../protocol/errors.js';
import type { ScanNetwork, WifiSecurity } from '../../protocol/messages.js';
import type { WifiBackend, WifiCredentials, WifiJoined, WifiStatus } from '../../peripheral/wifi/index.js';

export interface SimNetwork {
  ssid: string;
  passphrase?: string;
  rssi?: number;
  security?: WifiSecurity;
  channel?: number;
  /** Fail every join with this code (after the password check). */
  failWith?: ErrorCode;
}

export class SimWifi implements WifiBackend {
  readonly joins: string[] = [];
  connected: string | undefined;
  forgotten = 0;

  constructor(private readonly networks: SimNetwork[]) {}

  scan(): Promise<ScanNetwork[]> {
    return Promise.resolve(
      this.networks.map((n) => ({
        ssid: new TextEncoder().encode(n.ssid),
        rssi: n.rssi ?? -50,
        security: n.security ?? (n.passphrase ? 'wpa2' : 'open'),
        channel: n.channel ?? 6,
      })),
    );
  }

  join(credentials: WifiCredentials): Promise<WifiJoined> {
    const ssid = new TextDecoder().decode(credentials.ssid);
    this.joins.push(ssid);
    const net = this.networks.find((n) => n.ssid === ssid);
    if (!net) return Promise.reject(new ProvisioningError('WIFI_NETWORK_NOT_FOUND', { detail: ssid }));
    if ((net.passphrase ?? undefined) !== credentials.passphrase)
      return Promise.reject(new ProvisioningError('WIFI_AUTH_FAILED', { detail: ssid }));
    if (net.failWith) return Promise.reject(new ProvisioningError(net.failWith, { detail: ssid }));
    this.connected = ssid;
    return Promise.resolve({ address: '192.168.4.23' });
  }

  current(): Promise<WifiStatus> {
    return Promise.resolve(this.connected ? { connected: true, ssid: this.connected } : { connected: false });
  }

  forget(): Promise<void> {
    this.forgotten++;
    this.connected = undefined;
    return Promise.resolve();
  }
}
