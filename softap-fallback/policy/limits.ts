/**
 * Defaults and bounds of the fallback policy, with units. Documented in ../README.md
 * ("Limits and defaults").
 */

/** Start the AP when no phone has connected over BLE for this long while the device waits for setup. */
export const DEFAULT_BLE_IDLE_MINUTES = 2;
export const MAX_BLE_IDLE_MINUTES = 24 * 60;

/** The seed's auto-reconfiguration: a provisioned device without Wi-Fi this long opens setup again. */
export const DEFAULT_WIFI_LOSS_SECONDS = 300;
/** Shorter losses are roaming and router reboots, not a reason to open an access point. */
export const MIN_WIFI_LOSS_SECONDS = 10;
export const MAX_WIFI_LOSS_SECONDS = 24 * 60 * 60;

/** After the AP failed to start, wait this long before the next attempt. */
export const DEFAULT_AP_RETRY_SECONDS = 30;
export const MIN_AP_RETRY_SECONDS = 1;
export const MAX_AP_RETRY_SECONDS = 60 * 60;
