/** Parsing wpa_cli's outputs (scan_results, status, list_networks). Pure functions. */
import type { ScanResult, ToolSecurity } from './scan.js';

/** wpa_supplicant prints SSIDs with printf_encode: `\xNN`, `\\`, `\"`, `\e`, `\n`, `\r`, `\t`. */
export function decodeWpaSsid(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      const n = text[++i] as string;
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(({ n: 10, r: 13, t: 9, e: 27 } as Record<string, number>)[n] ?? n.charCodeAt(0));
      }
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function channelOf(freqMhz: number): number | undefined {
  if (freqMhz === 2484) return 14;
  if (freqMhz >= 2412 && freqMhz <= 2472) return (freqMhz - 2407) / 5;
  if (freqMhz >= 5955 && freqMhz <= 7115) return (freqMhz - 5950) / 5;
  if (freqMhz >= 5000 && freqMhz <= 5900) return (freqMhz - 5000) / 5;
  return undefined;
}

/** Flags like `[WPA2-PSK-CCMP][ESS]`, `[WPA2-SAE-CCMP]`, `[WPA2-EAP-CCMP]`, `[WEP]`, `[ESS]`. */
export function securityFromFlags(flags: string): ToolSecurity {
  if (flags.includes('EAP')) return 'enterprise';
  if (flags.includes('PSK')) return flags.includes('WPA2') || flags.includes('RSN') ? 'wpa2-psk' : 'wpa-psk';
  if (flags.includes('SAE')) return 'wpa3-sae';
  if (flags.includes('WEP')) return 'wep';
  return 'open';
}

/** Parses `wpa_cli scan_results` (header line, then bssid \t frequency \t signal \t flags \t ssid). */
export function parseScanResults(stdout: string): ScanResult[] {
  const best = new Map<string, ScanResult>();
  for (const line of stdout.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 5 || !/^[0-9a-fA-F:]{17}$/.test(cols[0] as string)) continue;
    const ssid = decodeWpaSsid(cols.slice(4).join('\t'));
    if (!ssid) continue;
    const freq = Number(cols[1]);
    const channel = channelOf(freq);
    const r: ScanResult = {
      ssid,
      bssid: (cols[0] as string).toLowerCase(),
      rssi: Number(cols[2]),
      security: securityFromFlags(cols[3] as string),
      frequencyMhz: freq,
      ...(channel !== undefined ? { channel } : {}),
    };
    const prev = best.get(ssid);
    if (!prev || prev.rssi < r.rssi) best.set(ssid, r);
  }
  return [...best.values()].sort((a, b) => b.rssi - a.rssi);
}

/** Parses `key=value` lines (wpa_cli status). */
export function parseKeyValues(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

export interface WpaNetwork {
  id: number;
  ssid: string;
  flags: string;
}

/** Parses `wpa_cli list_networks` (network id \t ssid \t bssid \t flags). */
export function parseListNetworks(stdout: string): WpaNetwork[] {
  return stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((c) => c.length >= 4 && /^\d+$/.test(c[0] as string))
    .map((c) => ({ id: Number(c[0]), ssid: decodeWpaSsid(c[1] as string), flags: c[3] as string }));
}
