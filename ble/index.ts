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
} from './transport/index.js';
export type { TransportSpec, ControllerLink } from './transport/index.js';
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
export { Air, DEFAULT_RSSI_DBM, defaultAirSocket, AirServer, startAir } from './air/index.js';
export type { AirCounters, AirFaults, AirOptions, AirServerOptions, Phy } from './air/index.js';
export { H4Framer, H4FramingError } from './h4/index.js';
export { measureThroughput } from './throughput.js';
export type { ThroughputCase, ThroughputResult } from './throughput.js';
