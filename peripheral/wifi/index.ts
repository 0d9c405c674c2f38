export * from './types.js';
export { MAX_PASSPHRASE_CHARS, MIN_PASSPHRASE_CHARS, redact, ssidLabel, validateCredentials } from './credentials.js';
export { DEFAULT_PROFILE_NAME, NM_SYSTEM_CONNECTIONS_DIR, NmcliBackend } from './nmcli.js';
export type { NmcliBackendOptions } from './nmcli.js';
export { derivePsk, WPA_SCAN_WAIT_MS, WpaCliBackend } from './wpa-cli.js';
export type { WpaCliBackendOptions } from './wpa-cli.js';
export { SIMULATED_JOIN_DELAY_MS, SIMULATED_SCAN_DELAY_MS, SimulatedWifi } from './simulated.js';
export type { SimulatedFailure, SimulatedNetwork, SimulatedWifiOptions } from './simulated.js';
