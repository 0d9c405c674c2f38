/**
 * The device's view of Wi-Fi: one small interface, three backends (NetworkManager via nmcli,
 * wpa_supplicant via wpa_cli, and a simulated one for development and tests). Every failure is a
 * ProvisioningError with a WIFI_* code; the passphrase never appears in errors or logs.
 */

export type WifiSecurity = 'open' | 'wep' | 'wpa-psk' | 'wpa2-psk' | 'wpa3-sae' | 'enterprise';

export interface ScanResult {
  ssid: string;
  bssid?: string;
  /** Signal in dBm (nmcli's 0-100 % is converted: dBm = % / 2 - 100). */
  rssi: number;
  security: WifiSecurity;
  channel?: number;
  frequencyMhz?: number;
}

export interface WifiCredentials {
  ssid: string;
  /** Absent or empty for an open network. Secret: never logged. */
  passphrase?: string;
}

export interface ConnectOptions {
  /** Association + address must complete within this (ms); see WIFI_CONNECT_TIMEOUT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConnectResult {
  ssid: string;
  /** The IPv4 address obtained (CIDR form when the backend reports it). */
  ipv4: string;
  bssid?: string;
}

export interface WifiStatus {
  connected: boolean;
  ssid?: string;
  ipv4?: string;
}

export interface WifiBackend {
  readonly name: string;
  scan(options?: { signal?: AbortSignal }): Promise<ScanResult[]>;
  /**
   * Joins the network and waits for an IPv4 address. On failure the new settings are removed and
   * the previous connection restored, so the phone may simply send corrected credentials.
   */
  connect(credentials: WifiCredentials, options?: ConnectOptions): Promise<ConnectResult>;
  current(): Promise<WifiStatus>;
  /** Removes the network the provisioning added (factory reset). */
  forget(): Promise<void>;
}

/** Whole join (association, authentication, DHCP) time limit by default (ms). */
export const WIFI_CONNECT_TIMEOUT_MS = 30_000;
/** Per-command time limit of the real backends (ms): a hung nmcli or wpa_cli must not hang provisioning. */
export const WIFI_COMMAND_TIMEOUT_MS = 60_000;
/** How often backends poll state while waiting (ms). */
export const WIFI_POLL_INTERVAL_MS = 500;
/** Largest SSID, in bytes (IEEE 802.11). */
export const MAX_SSID_BYTES = 32;
