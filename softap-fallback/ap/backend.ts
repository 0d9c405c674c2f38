/**
 * The one seam between "run the setup access point" and how a platform does it. The Linux backend
 * drives hostapd and dnsmasq; the simulated backend stands in for development and tests.
 */
import type { ErrorCode } from '../../protocol/index.js';
import type { AccessPointConfigInput } from './config.js';

/** `station`: the radio is back to joining networks (AP stopped). */
export type AccessPointState = 'station' | 'starting' | 'running' | 'stopping' | 'failed';

export interface AccessPointStatus {
  readonly state: AccessPointState;
  /** Present while starting/running, and for `failed` when known. Never the passphrase. */
  readonly ssid?: string;
  readonly interface?: string;
  readonly address?: string;
  /** Clock time (ms) of the last state change. */
  readonly since: number;
  /** Why the AP is `failed` (e.g. hostapd died, interface busy). */
  readonly error?: { readonly code: ErrorCode; readonly detail: string };
}

export interface AccessPointBackend {
  /**
   * Validates the config (CONFIG_INVALID before anything runs), then brings the AP up. If it is
   * already up it is restarted with the new config. Fails with SOFTAP_FAILED after rolling back.
   */
  start(config: AccessPointConfigInput): Promise<AccessPointStatus>;
  /** Stops the AP and returns the interface to station mode. Idempotent; cleans up after a crash. */
  stop(): Promise<AccessPointStatus>;
  /** The current state; a backend that can check its daemons reports `failed` if one died. */
  status(): Promise<AccessPointStatus>;
}
