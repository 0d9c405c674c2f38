/** Limits of the central's BLE client; central/README.md lists them. */

/** How long `devices` listens for advertisements, ms. */
export const SCAN_DURATION_MS = 4_000;
/** How long to look for one named device before DEVICE_NOT_FOUND, ms. */
export const FIND_TIMEOUT_MS = 15_000;
/** Connecting and discovering the service, ms. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** Waiting for one expected notification (a handshake step, a scan result, a status change), ms. */
export const NOTIFY_TIMEOUT_MS = 30_000;
/** Waiting for the status that accepts (or rejects) one wifi or claim message, ms (PROTOCOL.md §5.7). */
export const ACK_TIMEOUT_MS = 30_000;
/** From commit to a final status (provisioned or failed), ms: Wi-Fi join plus the MQTT round trips. */
export const PROVISION_TIMEOUT_MS = 180_000;
/** Attempts over a link that drops (the first one included). */
export const MAX_LINK_ATTEMPTS = 3;
/** Pause before reconnecting after a dropped link, ms. */
export const RECONNECT_DELAY_MS = 300;
