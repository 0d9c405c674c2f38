/** BLE transports (hci, serial, TCP, unix, the air): how a stack reaches its controller (ble/README.md). */
export {
  defaultTransportText,
  BLE_TRANSPORT_ENV,
  DEFAULT_SERIAL_BAUD,
  formatTransport,
  parseTransport,
  transportFromEnv,
} from './spec.js';
export type { TransportSpec } from './spec.js';
export type { ControllerLink } from './hci-socket.js';
export { H4HciSocket } from './hci-socket.js';
