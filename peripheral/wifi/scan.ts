/**
 * A network as the tools report it (text SSID, their own security names, a frequency where they
 * give no channel), and its translation into the protocol's ScanNetwork, once for every backend.
 */
import { MAX_RSSI_DBM, MAX_WIFI_CHANNEL, MIN_RSSI_DBM, MIN_WIFI_CHANNEL } from '../../protocol/index.js';
import type { ScanNetwork, WifiSecurity } from '../../protocol/index.js';

/** Security as nmcli, wpa_cli and the simulated networks name it. */
export type ToolSecurity = 'open' | 'wep' | 'wpa-psk' | 'wpa2-psk' | 'wpa3-sae' | 'enterprise';

export interface ScanResult {
  ssid: string;
  bssid?: string;
  /** Signal in dBm (nmcli's 0-100 % is converted: dBm = % / 2 - 100). */
  rssi: number;
  security: ToolSecurity;
  channel?: number;
  frequencyMhz?: number;
}

const SECURITY: Readonly<Record<ToolSecurity, WifiSecurity>> = {
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

/** The tool's networks as the protocol reports them, in the same order; hidden (empty) SSIDs dropped. */
export function toScanNetworks(results: readonly ScanResult[]): ScanNetwork[] {
  return results.filter((r) => r.ssid.length > 0).map(toScanNetwork);
}
