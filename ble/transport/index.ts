/** BLE transports (hci, serial, TCP, unix, the air): how a stack reaches its controller (ble/README.md). */
export { defaultTransportText } from './spec.js';
