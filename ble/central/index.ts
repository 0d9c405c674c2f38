/** The phone's BLE adapter: noble scanning, finding and the DeviceLink over GATT. See README.md. */
export { NobleDeviceLink } from './noble-link.js';
export { DeviceFinder } from './finder.js';
export { findDevice, foundDevice, nameMatches, POWER_ON_TIMEOUT_MS, poweredOn, scanDevices } from './scanner.js';
export type { FoundDevice } from './scanner.js';
