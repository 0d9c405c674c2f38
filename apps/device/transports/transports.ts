/**
 * The two ways a phone reaches the agent, as the device's setup wiring switches them: BLE (the GATT
 * server on bleno) and the SoftAP (access point + HTTP server). Implementations: ble-transport.ts,
 * softap-transport.ts; tests inject their own.
 */

export interface BleSwitch {
  /** Starts the GATT server and advertising; rejects (BLE_UNAVAILABLE) when no controller answers. */
  enable(): Promise<void>;
  /** Stops the GATT server (drops a connected phone). Idempotent. */
  disable(): Promise<void>;
  /** A phone connected (true) or left (false). */
  onPhone(listener: (connected: boolean) => void): void;
  /** The controller came (true) or went away (false) while the device runs. */
  onController(listener: (present: boolean) => void): void;
}

export interface SoftApSwitch {
  /** Brings the access point up, then the HTTP server; resolves with the page's URL. Rolls back on failure. */
  start(): Promise<string>;
  /** Stops the HTTP server, then the access point (back to station mode). Idempotent. */
  stop(): Promise<void>;
  /** The page's URL while running. */
  readonly url: string | undefined;
}
