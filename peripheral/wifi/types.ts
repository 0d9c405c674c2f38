/**
 * The device's view of Wi-Fi: the one interface the agent drives and the device's SoftAP policy
 * watches, and three backends behind it (NetworkManager via nmcli, wpa_supplicant via wpa_cli, and a
 * simulated one for development and tests). It speaks the protocol's terms (SSIDs as bytes,
 * `ScanNetwork`); each backend translates its tool's text once, at its edge (`scan.ts`,
 * `credentials.ts`). Every failure is a ProvisioningError with a WIFI_* code; the passphrase never
 * appears in errors or logs.
 */
import type { ScanNetwork } from '../../protocol/index.js';

export interface WifiCredentials {
  /** 1-32 bytes (SSIDs need not be UTF-8). */
  readonly ssid: Uint8Array;
  /** Absent (or empty) for an open network. Secret: never logged. */
  readonly passphrase?: string;
  readonly hidden?: boolean;
}

export interface JoinOptions {
  /** Association + address must complete within this (ms); see WIFI_CONNECT_TIMEOUT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WifiJoined {
  /** The address the interface got (CIDR form when the backend reports it), for status and logs. */
  readonly address?: string;
}

export interface WifiStatus {
  connected: boolean;
  ssid?: string;
  ipv4?: string;
}

export interface WifiBackend {
  /** Visible networks, strongest first, one per SSID; throws WIFI_SCAN_FAILED / WIFI_BACKEND_ERROR. */
  scan(options?: { signal?: AbortSignal }): Promise<ScanNetwork[]>;
  /**
   * Joins the network and waits for an address. On failure it throws a ProvisioningError with its own
   * WIFI_* code and leaves nothing of the attempt configured (the previous connection restored), so
   * the phone may simply send corrected credentials.
   */
  join(credentials: WifiCredentials, options?: JoinOptions): Promise<WifiJoined>;
  /** The station link now (the SoftAP policy's Wi-Fi monitor). */
  current(): Promise<WifiStatus>;
  /** Forgets what provisioning configured (factory reset). */
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
