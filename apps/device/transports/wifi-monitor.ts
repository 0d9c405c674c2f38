/**
 * Watches the Wi-Fi link for the auto-reconfiguration trigger: asks the backend every
 * WIFI_MONITOR_INTERVAL_MS and reports changes only. A failing check counts as "down".
 */
import type { Timers } from '../../../protocol/index.js';
import { WIFI_MONITOR_INTERVAL_MS } from './limits.js';

export interface WifiMonitorOptions {
  connected: () => Promise<boolean>;
  onChange: (up: boolean) => void;
  timers: Timers;
  intervalMs?: number;
}

export class WifiMonitor {
  readonly #o: WifiMonitorOptions;
  #handle: unknown;
  #last: boolean | undefined;
  #closed = false;

  constructor(options: WifiMonitorOptions) {
    this.#o = options;
  }

  /** Checks once now (the initial state, not reported) and then on every interval. */
  async start(): Promise<boolean> {
    this.#last = await this.#check();
    this.#arm();
    return this.#last;
  }

  close(): void {
    this.#closed = true;
    if (this.#handle !== undefined) this.#o.timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  async #check(): Promise<boolean> {
    try {
      return await this.#o.connected();
    } catch {
      return false;
    }
  }

  #arm(): void {
    if (this.#closed) return;
    this.#handle = this.#o.timers.setTimeout(() => {
      void this.#check().then((up) => {
        if (this.#closed) return;
        if (up !== this.#last) {
          this.#last = up;
          this.#o.onChange(up);
        }
        this.#arm();
      });
    }, this.#o.intervalMs ?? WIFI_MONITOR_INTERVAL_MS);
  }
}
