/** The phone's BLE provisioning client (noble): see central/README.md, "Provisioning over BLE". */
export type { DeviceLink, NotifyName, WritableName } from './device-link.js';
export { DeviceSession, statusError } from './device-session.js';
export * from './limits.js';
export { NobleDeviceLink } from './noble-link.js';
export { provisionDevice } from './provision.js';
export type {
  Phase,
  ProvisionHooks,
  ProvisionJob,
  ProvisionOptions,
  ProvisionResult,
  WifiSettings,
} from './provision.js';
export { DeviceFinder } from './finder.js';
export { findDevice, foundDevice, nameMatches, POWER_ON_TIMEOUT_MS, poweredOn, scanDevices } from './scanner.js';
export type { FoundDevice } from './scanner.js';
export { systemTimers } from './wait.js';
export type { Timers } from './wait.js';
