/**
 * The SoftAP as a switch: the access point (linux or simulated backend) first, then the HTTP server
 * on it; stop in reverse. The AP's passphrase is derived from the device secret and never logged.
 */
import type { AccessPointBackend, AccessPointConfigInput } from '../../../softap-fallback/ap/index.js';
import type { SoftApSwitch } from './transports.js';

/** A running HTTP server (softap-fallback/server's SoftApServer). */
export interface HttpServerHandle {
  readonly url: string;
  close(): Promise<void>;
}

export interface SoftApTransportOptions {
  backend: AccessPointBackend;
  /** The AP settings (SSID + passphrase derived from the device); read when the AP starts. */
  accessPoint: () => Promise<AccessPointConfigInput>;
  /** Starts the HTTP server (after the AP is up, so it can bind the AP's address). */
  startServer: () => Promise<HttpServerHandle>;
  log: (line: string) => void;
}

export class SoftApTransport implements SoftApSwitch {
  readonly #o: SoftApTransportOptions;
  #server: HttpServerHandle | undefined;
  #apUp = false;

  constructor(options: SoftApTransportOptions) {
    this.#o = options;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  async start(): Promise<string> {
    if (this.#server) return this.#server.url;
    const config = await this.#o.accessPoint();
    // A failed or crashed earlier AP is cleaned up first (the backends' stop is idempotent).
    if (!this.#apUp) {
      await this.#o.backend
        .stop()
        .catch((err: unknown) =>
          this.#o.log(`softap: cleaning up an earlier access point failed: ${(err as Error).message}`),
        );
    }
    const status = await this.#o.backend.start(config);
    this.#apUp = true;
    this.#o.log(
      `softap: access point ${status.ssid ?? config.ssid} up on ${status.interface ?? config.interface}${status.address ? ` (${status.address})` : ''}`,
    );
    try {
      this.#server = await this.#o.startServer();
    } catch (err) {
      await this.#stopAp();
      throw err;
    }
    this.#o.log(`softap: setup page at ${this.#server.url}`);
    return this.#server.url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      await server
        .close()
        .catch((err: unknown) => this.#o.log(`softap: closing the server failed: ${(err as Error).message}`));
    }
    await this.#stopAp();
  }

  async #stopAp(): Promise<void> {
    if (!this.#apUp) return;
    this.#apUp = false;
    await this.#o.backend.stop();
    this.#o.log('softap: access point down (station mode)');
  }
}
