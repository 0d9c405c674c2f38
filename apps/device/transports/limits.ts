/** Limits of the device-side wiring of BLE and the SoftAP, with units (README "Device wiring"). */

/** How often the Wi-Fi link is checked for the auto-reconfiguration trigger, ms. */
export const WIFI_MONITOR_INTERVAL_MS = 5_000;
/** How long a BLE controller may take to power on before the device counts it as absent, ms. */
export const BLE_POWER_ON_TIMEOUT_MS = 10_000;
/** In `always` mode: wait this long before retrying a failed AP start, ms. */
export const ALWAYS_MODE_AP_RETRY_MS = 30_000;
