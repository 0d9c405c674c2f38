/**
 * Public API of ble/: choose an HCI transport, load bleno/noble on it, run the virtual air.
 * See ble/README.md.
 */
export {
  BLE_TRANSPORT_ENV,
  DEFAULT_SERIAL_BAUD,
  defaultTransportText,
  formatTransport,
  parseTransport,
  transportFromEnv,
} from './transport/spec.js';
export type { TransportSpec } from './transport/spec.js';
export type { ControllerLink } from './transport/hci-socket.js';
export {
  MAX_ATT_MTU,
  MIN_ATT_MTU,
  closeStackTransport,
  defaultAir,
  loadBleno,
  loadNoble,
  setBlenoMaxMtu,
  setDefaultAir,
  setNobleMtu,
  stackController,
} from './loader.js';
export type { Bleno, BlenoOptions, LoadOptions, Noble, NobleOptions } from './loader.js';
export { Air, DEFAULT_RSSI_DBM } from './air/air.js';
export { defaultAirSocket } from './air/socket-path.js';
export type { AirCounters, AirFaults, AirOptions } from './air/air.js';
export { AirServer, startAir } from './air/server.js';
export type { AirServerOptions } from './air/server.js';
export type { Phy } from './air/link-timing.js';
export { H4Framer, H4FramingError } from './h4/framer.js';
export { measureThroughput } from './throughput.js';
export type { ThroughputCase, ThroughputResult } from './throughput.js';
