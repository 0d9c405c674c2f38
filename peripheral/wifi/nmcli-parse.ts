/**
 * Parsing nmcli's terse output (`-t`): fields separated by ':', with ':' and '\' inside a value
 * escaped by a backslash (nmcli(1), "--terse"). Pure functions, tested against recorded output.
 */
import type { ScanResult, ToolSecurity } from './scan.js';

/** Splits one terse line into fields, undoing nmcli's `\:` and `\\` escapes. */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
    } else if (c === ':') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  return fields;
}

/** nmcli SECURITY column ("WPA1 WPA2", "WPA2 802.1X", "WPA3", "WEP", "" or "--") → our kind. */
export function securityFromNmcli(text: string): ToolSecurity {
  const t = text.trim();
  if (t === '' || t === '--') return 'open';
  if (t.includes('802.1X')) return 'enterprise';
  if (t.includes('WPA3') && !t.includes('WPA2')) return 'wpa3-sae';
  if (t.includes('WPA2') || t.includes('WPA3')) return 'wpa2-psk';
  if (t.includes('WPA1')) return 'wpa-psk';
  if (t.includes('WEP')) return 'wep';
  return 'wpa2-psk';
}

export const SCAN_FIELDS = 'BSSID,SSID,CHAN,FREQ,SIGNAL,SECURITY';

/**
 * Parses `nmcli -t -f BSSID,SSID,CHAN,FREQ,SIGNAL,SECURITY device wifi list`. Hidden networks (empty
 * SSID) are dropped; one result per SSID, the strongest BSS; sorted by signal, strongest first.
 */
export function parseScan(stdout: string): ScanResult[] {
  const best = new Map<string, ScanResult>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const [bssid, ssid, chan, freq, signal, security] = splitTerse(line);
    if (!ssid) continue;
    const percent = Number(signal);
    const result: ScanResult = {
      ssid,
      ...(bssid ? { bssid: bssid.toLowerCase() } : {}),
      rssi: Number.isFinite(percent) ? Math.round(percent / 2 - 100) : -100,
      security: securityFromNmcli(security ?? ''),
      ...(Number(chan) > 0 ? { channel: Number(chan) } : {}),
      ...(parseInt(freq ?? '', 10) > 0 ? { frequencyMhz: parseInt(freq ?? '', 10) } : {}),
    };
    const prev = best.get(ssid);
    if (!prev || prev.rssi < result.rssi) best.set(ssid, result);
  }
  return [...best.values()].sort((a, b) => b.rssi - a.rssi);
}

export interface ActiveConnection {
  name: string;
  uuid: string;
  type: string;
  device: string;
}

/** Parses `nmcli -t -f NAME,UUID,TYPE,DEVICE connection show --active`. */
export function parseActiveConnections(stdout: string): ActiveConnection[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name = '', uuid = '', type = '', device = ''] = splitTerse(l);
      return { name, uuid, type, device };
    });
}

/**
 * nmcli's messages → our codes. Texts are NetworkManager's NMDeviceStateReason / NMActiveConnection
 * state-reason descriptions and nmcli's own errors, as printed in the C locale.
 */
export function classifyNmcliFailure(
  output: string,
  exitCode: number,
):
  | 'WIFI_AUTH_FAILED'
  | 'WIFI_NETWORK_NOT_FOUND'
  | 'WIFI_NO_ADDRESS'
  | 'WIFI_TIMEOUT'
  | 'WIFI_ASSOCIATION_FAILED'
  | 'WIFI_BACKEND_ERROR' {
  const o = output.toLowerCase();
  if (
    o.includes('secrets were required') ||
    o.includes('no secrets') ||
    o.includes('802.1x supplicant took too long') ||
    o.includes('wrong password') ||
    o.includes('invalid passphrase') ||
    o.includes('key-mgmt')
  )
    return 'WIFI_AUTH_FAILED';
  if (o.includes('no network with ssid') || o.includes('could not be found') || o.includes('ssid not found'))
    return 'WIFI_NETWORK_NOT_FOUND';
  if (o.includes('ip configuration could not be reserved') || o.includes('dhcp') || o.includes('ip4-config'))
    return 'WIFI_NO_ADDRESS';
  if (o.includes('timeout expired') || exitCode === 3) return 'WIFI_TIMEOUT';
  if (
    o.includes('supplicant') ||
    o.includes('association') ||
    o.includes('connection activation failed') ||
    exitCode === 4
  )
    return 'WIFI_ASSOCIATION_FAILED';
  return 'WIFI_BACKEND_ERROR';
}
