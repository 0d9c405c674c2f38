/** The phone's provisioning engine, transport-neutral: it drives one device over any DeviceLink. See central/README.md. */
export type { DeviceLink, NotifyName, WritableName } from './device-link.js';
export { DeviceSession, statusError } from './device-session.js';
export * from './limits.js';
export { provisionDevice, WIFI_INPUT_ERRORS } from './provision.js';
export type {
  Phase,
  ProvisionHooks,
  ProvisionJob,
  ProvisionOptions,
  ProvisionResult,
  WifiSettings,
} from './provision.js';
export { systemTimers, withTimeout, delay } from './wait.js';
