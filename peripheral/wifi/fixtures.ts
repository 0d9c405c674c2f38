/**
 * Recorded-style outputs of nmcli (NetworkManager 1.42, C locale) and wpa_cli (wpa_supplicant 2.10),
 * written from the tools' documented formats: nmcli terse mode escapes ':' and '\' with '\'
 * (nmcli(1) "--terse"), an empty SECURITY is an open network; wpa_cli scan_results prints a header
 * then tab-separated bssid, frequency, signal (dBm), flags, ssid (printf-escaped). And the credentials
 * a test joins with.
 */
import type { WifiCredentials } from './types.js';

export const NMCLI_SCAN = [
  'AA\\:BB\\:CC\\:00\\:00\\:01:Home:6:2437 MHz:82:WPA2',
  'AA\\:BB\\:CC\\:00\\:00\\:02:Home:36:5180 MHz:64:WPA2',
  'AA\\:BB\\:CC\\:00\\:00\\:03:Caf\\:e Guest:11:2462 MHz:40:',
  'AA\\:BB\\:CC\\:00\\:00\\:04::1:2412 MHz:30:WPA2',
  'AA\\:BB\\:CC\\:00\\:00\\:05:Office:1:2412 MHz:55:WPA2 802.1X',
  'AA\\:BB\\:CC\\:00\\:00\\:06:Neighbour:44:5220 MHz:20:WPA3',
  'AA\\:BB\\:CC\\:00\\:00\\:07:Legacy:3:2422 MHz:25:WPA1 WPA2',
  '',
].join('\n');

export const NMCLI_ACTIVE = [
  'Wired connection 1:2d3f0a44-1c4b-3c1a-9d1e-3a1d0f2e5b6c:802-3-ethernet:eth0',
  'OldWifi:7a1c2b3d-0000-4000-8000-000000000001:802-11-wireless:wlan0',
  'lo:0e5c6b52-1111-4a1e-9a2b-000000000002:loopback:lo',
  '',
].join('\n');

export const NMCLI_UP_OK =
  'Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/7)\n';
export const NMCLI_UP_NO_SECRETS =
  "Error: Connection activation failed: Secrets were required, but not provided.\nHint: use 'journalctl -xe NM_CONNECTION=6d1e5a0e-… + NM_DEVICE=wlan0' to get more details.\n";
export const NMCLI_UP_NOT_FOUND =
  "Error: Connection activation failed: The Wi-Fi network could not be found.\nHint: use 'journalctl -xe NM_CONNECTION=6d1e5a0e-… + NM_DEVICE=wlan0' to get more details.\n";
export const NMCLI_UP_DHCP =
  'Error: Connection activation failed: IP configuration could not be reserved (no available address, timeout, etc.).\n';
export const NMCLI_UP_TIMEOUT = 'Error: Timeout expired (30 seconds)\n';
export const NMCLI_DELETE_UNKNOWN =
  "Error: unknown connection 'provisioning'.\nError: cannot delete unknown connection(s): 'provisioning'.\n";

export const WPA_SCAN_RESULTS = [
  'bssid / frequency / signal level / flags / ssid',
  'aa:bb:cc:00:00:01\t2437\t-45\t[WPA2-PSK-CCMP][WPS][ESS]\tHome',
  'aa:bb:cc:00:00:02\t5180\t-67\t[WPA2-PSK-CCMP][ESS]\tHome',
  'aa:bb:cc:00:00:03\t2462\t-70\t[ESS]\tCaf\\xc3\\xa9 \\"Guest\\"',
  'aa:bb:cc:00:00:04\t2412\t-80\t[WPA2-EAP-CCMP][ESS]\tOffice',
  'aa:bb:cc:00:00:05\t5955\t-75\t[WPA2-SAE-CCMP][ESS]\tSix',
  'aa:bb:cc:00:00:06\t2412\t-85\t[WPA2-PSK-CCMP][ESS]\t',
  '',
].join('\n');

export const WPA_LIST_NETWORKS = ['network id / ssid / bssid / flags', '0\tOldWifi\tany\t[CURRENT]', ''].join('\n');

export const wpaStatus = (state: string, extra: Record<string, string> = {}): string =>
  Object.entries({
    bssid: 'aa:bb:cc:00:00:01',
    freq: '2437',
    ssid: 'Home',
    id: '1',
    mode: 'station',
    key_mgmt: 'WPA2-PSK',
    wpa_state: state,
    address: 'b8:27:eb:12:34:56',
    ...extra,
  })
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';

/** Credentials as the agent hands them to a backend: the SSID as UTF-8 bytes. */
export const credentials = (ssid: string, passphrase?: string): WifiCredentials => ({
  ssid: new TextEncoder().encode(ssid),
  ...(passphrase !== undefined ? { passphrase } : {}),
});
