/** What a demo run resolves with: the CLI prints it, the benchmark and the tests read it. */

export type DemoTransport = 'ble' | 'softap';

export interface DeviceSummary {
  deviceId: string;
  thingName: string;
  certificateId: string;
  topic: string;
  messagesReceived: string[];
  bytesSent: number;
  attPayload: number;
  /**
   * ms per phase. bleTransfer: connect + secure session + transfer, wall time, over the demo's
   * transport (BLE, or HTTP for softap: the name stays for the benchmark's sake).
   */
  phasesMs: { bleTransfer: number; wifi: number; certificate: number; registration: number; firstMessage: number };
  /** softap: the device's page URL (http://127.0.0.1:PORT). */
  url?: string;
}

export interface DeviceFailure {
  deviceId: string;
  /** The error code (protocol/errors.ts) when there is one. */
  code?: string;
  message: string;
}

export interface DemoSummary {
  transport: DemoTransport;
  /** Devices provisioned and proven with ten messages each. */
  devices: DeviceSummary[];
  /** Devices that failed (the others still run: one bad device does not stop a fleet). */
  failed: DeviceFailure[];
  loginMs: number;
  claimMs: number;
  /** Simulated air time of all links' PDUs during provisioning (Air counters), ms; 0 for softap (no air). */
  bleAirTimeMs: number;
  /** Link-layer PDUs on the air during provisioning; 0 for softap. */
  airPackets: number;
  /** softap: frame bytes the central POSTed over HTTP, all devices; 0 for BLE. */
  httpBytesSent: number;
  /** softap: HTTP requests the central made (frames, long-polls, connection set-up), all devices; 0 for BLE. */
  httpRequests: number;
  totalMs: number;
}
