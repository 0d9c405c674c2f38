/** The setup access point: configs, identity, and the backends that run it. */
export type { AccessPointBackend, AccessPointState, AccessPointStatus } from './backend.js';
export {
  OPEN_NETWORK_WARNING,
  resolveAccessPointConfig,
  validateInterfaceName,
  validatePassphrase,
  validateSsid,
} from './config.js';
export type { AccessPointConfig, AccessPointConfigInput, AccessPointSecurity } from './config.js';
export { accessPointConfigForDevice } from './device-config.js';
export type { DeviceAccessPointOptions } from './device-config.js';
export {
  derivePassphrase,
  generatePassphrase,
  ssidForDevice,
  PASSPHRASE_HKDF_INFO_PREFIX,
  PASSPHRASE_HKDF_SALT,
} from './identity.js';
export {
  DEFAULT_BINARIES,
  DNSMASQ_CONF_MODE,
  HOSTAPD_CONF_MODE,
  LinuxAccessPoint,
  STATE_DIR_MODE,
} from './linux-backend.js';
export type { Binaries, LinuxAccessPointOptions, StationManager } from './linux-backend.js';
export { renderDnsmasqConf, renderHostapdConf } from './render.js';
export { SimulatedAccessPoint } from './simulated-backend.js';
export type { SimulatedAccessPointOptions, SimulatedEvent, SimulatedFailure } from './simulated-backend.js';
export * from './limits.js';
