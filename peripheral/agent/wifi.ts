/**
 * The seam between the agent and a Wi-Fi backend (NetworkManager, wpa_supplicant, simulated). The
 * agent only needs these three operations; backends translate their own failures into the WIFI_*
 * codes of protocol/errors.ts once, at their edge.
 */
import type { ScanNetwork } from '../../protocol/index.js';

export interface WifiCredentials {
  /** 1-32 bytes (SSIDs need not be UTF-8). */
  readonly ssid: Uint8Array;
  /** Absent for an open network. Never logged. */
  readonly passphrase?: string;
  readonly hidden?: boolean;
}

export interface WifiJoined {
  /** The address the interface got (for status and logs). */
  readonly address?: string;
}

export interface WifiBackend {
  /** Visible networks, strongest first; throws ProvisioningError WIFI_SCAN_FAILED / WIFI_BACKEND_ERROR. */
  scan(signal?: AbortSignal): Promise<ScanNetwork[]>;
  /**
   * Joins the network and waits for an address. On failure it throws a ProvisioningError with its own
   * WIFI_* code and leaves nothing of the attempt configured (rolls back to the previous connection).
   */
  join(credentials: WifiCredentials, signal?: AbortSignal): Promise<WifiJoined>;
  /** Forgets what provisioning configured (factory reset). */
  forget(): Promise<void>;
}

/** SSID bytes for logs and the journal: UTF-8 when printable, else hex. */
export function ssidLabel(ssid: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(ssid);
  return /^[\x20-\x7e]+$/.test(text) ? text : `hex:${Buffer.from(ssid).toString('hex')}`;
}
