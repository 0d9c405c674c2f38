/** The device's per-connection engine (PROTOCOL.md), transport-neutral: BLE and HTTP drive it. See README.md. */
export { GattConnection } from './connection.js';
export type { ConnectionOptions, FramedName, Notifier } from './connection.js';
export { buildInfo, DEVICE_FEATURES } from './info.js';
export type { InfoInput } from './info.js';
export {
  DEFAULT_ATT_PAYLOAD,
  SESSION_IDLE_TIMEOUT_MS,
  POWER_ON_TIMEOUT_MS,
  SERVER_STOP_TIMEOUT_MS,
  STACK_CALL_TIMEOUT_MS,
  CONTROLLER_PROBE_INTERVAL_MS,
  CONTROLLER_PROBE_TIMEOUT_MS,
  REATTACH_BACKOFF_INITIAL_MS,
  REATTACH_BACKOFF_MAX_MS,
  REATTACH_TIMEOUT_MS,
} from './limits.js';
