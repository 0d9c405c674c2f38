/** The device side of the fallback: BLE and the SoftAP switched per `softap.mode` and the policy. */
export { BleTransport } from './ble-transport.js';
export type { BleTransportOptions } from './ble-transport.js';
export { loadOrCreateDeviceSecret, MAX_DEVICE_SECRET_BYTES } from './device-secret.js';
export { loadPage, startProvisioningHttpServer } from './http-server.js';
export type { HttpServerDeps } from './http-server.js';
export { JobLockedAgent } from './locked-agent.js';
export { startSetupTransports } from './setup-transports.js';
export type { RunningSetup, SetupMode, SetupTransportsOptions } from './setup-transports.js';
export { SoftApTransport } from './softap-transport.js';
export type { HttpServerHandle, SoftApTransportOptions } from './softap-transport.js';
export type { BleSwitch, SoftApSwitch } from './transports.js';
export { WifiMonitor } from './wifi-monitor.js';
export type { WifiMonitorOptions } from './wifi-monitor.js';
export * from './limits.js';
