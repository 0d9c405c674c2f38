/** The device program's configuration and composition (README.md here): read the config, start the device, its runtime status. */
export { deviceStorage, startDevice, wifiBackend } from './device.js';
export { readDeviceConfig } from './load.js';
export type { DeviceConfig } from './schema.js';
export { RuntimeStatusFile } from './runtime-status.js';
export { nodeRandom } from './node-random.js';
