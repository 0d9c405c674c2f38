/** The device's BLE adapter: the bleno GATT server that drives peripheral/engine. See README.md. */
export { ProvisioningGattServer } from './server.js';
export type { GattServerOptions } from './server.js';
export { ControllerSupervisor } from './supervisor.js';
export { within } from './bounded.js';
