/** The device's BLE GATT server (PROTOCOL.md). See README.md. */
export { GattConnection } from './connection.js';
export type { ConnectionOptions, FramedName, Notifier } from './connection.js';
export { buildInfo, DEVICE_FEATURES } from './info.js';
export type { InfoInput } from './info.js';
export { DEFAULT_ATT_PAYLOAD, GATT_MAX_MTU, SESSION_IDLE_TIMEOUT_MS } from './limits.js';
export { ProvisioningGattServer } from './server.js';
export type { GattServerOptions } from './server.js';
export { systemTimers } from './timers.js';
export type { Timers } from './timers.js';
