/** Limits of the GATT server (PROTOCOL.md §2, §7); the README lists them. */

/** A connected phone that sends nothing and is sent nothing for this long is dropped: SESSION_TIMEOUT (ms). */
export const SESSION_IDLE_TIMEOUT_MS = 120_000;
/** ATT payload before the MTU exchange (ATT_MTU 23 - 3), bytes. */
export const DEFAULT_ATT_PAYLOAD = 20;
/** Largest ATT_MTU the device grants: 512 bytes of payload + 3 of ATT header, plus 2 spare (ble/ MAX_ATT_MTU). */
export const GATT_MAX_MTU = 517;
