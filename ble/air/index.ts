/** The virtual air: an LE controller emulator speaking HCI over H4, and its server (ble/README.md). */
export { Air, DEFAULT_RSSI_DBM } from './air.js';
export { defaultAirSocket } from './socket-path.js';
export type { AirCounters, AirFaults, AirOptions } from './air.js';
export { AirServer, startAir } from './server.js';
export type { AirServerOptions } from './server.js';
export type { Phy } from './link-timing.js';
