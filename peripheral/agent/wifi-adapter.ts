/**
 * Puts a peripheral/wifi backend (nmcli, wpa_cli, simulated: SSIDs as text, their own security
 * names) behind the agent's WifiBackend seam (SSIDs as bytes, the protocol's security names).
 */
import {
  ProvisioningError,
  MAX_RSSI_DBM,
  MAX_WIFI_CHANNEL,
  MIN_RSSI_DBM,
  MIN_WIFI_CHANNEL,
} from '../../protocol/index.js';
import type { ScanNetwork, WifiSecurity } from '../../protocol/index.js';
import type { ScanResult, WifiBackend as SystemWifi, WifiSecurity as SystemSecurity } from '../wifi/index.js';
import type { WifiBackend, WifiCredentials, WifiJoined } from './wifi.js';

const SECURITY: Readonly<Record<SystemSecurity, WifiSecurity>> = {
  open: 'open',
  wep: 'wep',
  'wpa-psk': 'wpa',
  'wpa2-psk': 'wpa2',
  'wpa3-sae': 'wpa3',
  enterprise: 'enterprise',
};

/** Channel from a centre frequency (IEEE 802.11: 2.4, 5 and 6 GHz bands), or undefined. */
export function channelFromFrequency(mhz: number): number | undefined {
  if (mhz === 2484) return 14;
  if (mhz >= 2412 && mhz < 2484) return (mhz - 2407) / 5;
  if (mhz >= 5955 && mhz <= 7115) return (mhz - 5950) / 5;
  if (mhz >= 5160 && mhz <= 5885) return (mhz - 5000) / 5;
  return undefined;
}

/** Networks without a known channel are reported on this one (the field is required on the wire). */
export const UNKNOWN_CHANNEL = MIN_WIFI_CHANNEL;

function toScanNetwork(r: ScanResult): ScanNetwork {
  const channel = r.channel ?? (r.frequencyMhz !== undefined ? channelFromFrequency(r.frequencyMhz) : undefined);
  return {
    ssid: new TextEncoder().encode(r.ssid),
    rssi: Math.max(MIN_RSSI_DBM, Math.min(MAX_RSSI_DBM, Math.round(r.rssi))),
    security: SECURITY[r.security],
    channel:
      channel !== undefined && Number.isInteger(channel) && channel >= MIN_WIFI_CHANNEL && channel <= MAX_WIFI_CHANNEL
        ? channel
        : UNKNOWN_CHANNEL,
  };
}

export function adaptWifiBackend(system: SystemWifi): WifiBackend {
  return {
    async scan(signal) {
      const results = await system.scan(signal ? { signal } : {});
      return results.filter((r) => r.ssid.length > 0).map(toScanNetwork);
    },
    async join(credentials: WifiCredentials, signal?: AbortSignal): Promise<WifiJoined> {
      let ssid: string;
      try {
        ssid = new TextDecoder('utf-8', { fatal: true }).decode(credentials.ssid);
      } catch {
        throw new ProvisioningError('WIFI_BACKEND_ERROR', {
          detail: `the ${system.name} backend takes UTF-8 SSIDs only`,
        });
      }
      const joined = await system.connect(
        { ssid, ...(credentials.passphrase !== undefined ? { passphrase: credentials.passphrase } : {}) },
        signal ? { signal } : {},
      );
      return { address: joined.ipv4 };
    },
    forget: () => system.forget(),
  };
}
