/** Limits of the GATT server (PROTOCOL.md §2, §7); the README lists them. */

/** A connected phone that sends nothing and is sent nothing for this long is dropped: SESSION_TIMEOUT (ms). */
export const SESSION_IDLE_TIMEOUT_MS = 120_000;
/** ATT payload before the MTU exchange (ATT_MTU 23 - 3), bytes. */
export const DEFAULT_ATT_PAYLOAD = 20;
/**
 * Longest wait for one bleno callback (setServices, startAdvertising, stopAdvertising): bleno calls
 * back only when its controller answers, and a dead controller never does (ms).
 */
export const STACK_CALL_TIMEOUT_MS = 2_000;
/** Longest `ProvisioningGattServer.stop()`, whatever the controller does: well inside the device's 3 s stop (ms). */
export const SERVER_STOP_TIMEOUT_MS = 1_000;
/** Longest wait for bleno to report `poweredOn` in `start()` (ms). */
export const POWER_ON_TIMEOUT_MS = 10_000;
/** How often the supervisor asks the controller whether it is alive (HCI Read Local Version), ms. */
export const CONTROLLER_PROBE_INTERVAL_MS = 5_000;
/** A probe unanswered this long means the controller is gone (HCI command timeout), ms. */
export const CONTROLLER_PROBE_TIMEOUT_MS = 2_000;
/** First wait before re-attaching a lost controller; doubles per failed attempt, ms. */
export const REATTACH_BACKOFF_INITIAL_MS = 1_000;
/** Longest wait between two re-attach attempts, ms. */
export const REATTACH_BACKOFF_MAX_MS = 30_000;
/** A re-opened link whose controller has not answered its HCI Reset by then is cut and retried, ms. */
export const REATTACH_TIMEOUT_MS = 5_000;
/**
 * After an error notice (PROTOCOL.md §4.8) the device drops the link itself after this long, ms:
 * time for the notification to leave the controller and for the phone to disconnect first.
 */
export const ERROR_NOTICE_LINGER_MS = 1_000;
