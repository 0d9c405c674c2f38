/**
 * An access point that exists only in memory, for development and tests: it validates and renders
 * the same configs as the Linux backend (so a bad config fails the same way), keeps a history, and
 * can be told to fail like the real thing.
 */
import type { AccessPointBackend, AccessPointStatus } from './backend.js';
import { resolveAccessPointConfig, type AccessPointConfig, type AccessPointConfigInput } from './config.js';
import { softapFailed } from './errors.js';
import { renderDnsmasqConf, renderHostapdConf } from './render.js';
import type { Clock } from '../../protocol/index.js';

export type SimulatedFailure =
  /** hostapd exits during start (bad driver, unsupported channel …). */
  | 'hostapd-start'
  /** The interface is held by something else (wpa_supplicant, another AP). */
  | 'interface-busy'
  | 'dnsmasq-start'
  /** Returning to station mode fails once. */
  | 'stop';

export interface SimulatedAccessPointOptions {
  clock: Clock;
  /** Directory the rendered dnsmasq.conf names; nothing is written there. */
  stateDir?: string;
}

export interface SimulatedEvent {
  readonly at: number;
  readonly action: 'start' | 'stop' | 'crash';
  readonly ok: boolean;
  readonly ssid?: string;
}

export class SimulatedAccessPoint implements AccessPointBackend {
  readonly #clock: Clock;
  readonly #stateDir: string;
  readonly #failures = new Set<SimulatedFailure>();
  #persistentFailures = new Set<SimulatedFailure>();
  #status: AccessPointStatus;
  #config: AccessPointConfig | undefined;
  readonly history: SimulatedEvent[] = [];
  /** The files the Linux backend would have written for the running config. */
  files: { hostapdConf: string; dnsmasqConf: string } | undefined;

  constructor(options: SimulatedAccessPointOptions) {
    this.#clock = options.clock;
    this.#stateDir = options.stateDir ?? '/run/simulated-softap';
    this.#status = { state: 'station', since: this.#clock() };
  }

  /** Makes the next matching operation fail (once), or every one until cleared when `persistent`. */
  failNext(failure: SimulatedFailure, persistent = false): void {
    if (persistent) this.#persistentFailures.add(failure);
    else this.#failures.add(failure);
  }

  clearFailures(): void {
    this.#failures.clear();
    this.#persistentFailures = new Set();
  }

  /** hostapd dies under a running AP: status() reports `failed` until stop() or start(). */
  crash(): void {
    if (this.#status.state !== 'running') return;
    this.history.push({ at: this.#clock(), action: 'crash', ok: true });
    this.#status = {
      ...this.#status,
      state: 'failed',
      since: this.#clock(),
      error: { code: 'SOFTAP_FAILED', detail: 'hostapd is not running' },
    };
  }

  get isUp(): boolean {
    return this.#status.state === 'running';
  }

  #take(failure: SimulatedFailure): boolean {
    if (this.#persistentFailures.has(failure)) return true;
    return this.#failures.delete(failure);
  }

  async start(input: AccessPointConfigInput): Promise<AccessPointStatus> {
    const config = resolveAccessPointConfig(input);
    const hostapdConf = renderHostapdConf(config);
    const dnsmasqConf = renderDnsmasqConf(config, { stateDir: this.#stateDir });
    if (this.#status.state !== 'station') await this.stop();
    const describe = { ssid: config.ssid, interface: config.interface, address: config.address };
    let failure: string | undefined;
    if (this.#take('interface-busy'))
      failure = `interface ${config.interface} is busy; starting hostapd: hostapd exited with status 1`;
    else if (this.#take('hostapd-start')) failure = 'starting hostapd: hostapd exited with status 1';
    else if (this.#take('dnsmasq-start')) failure = 'starting dnsmasq: dnsmasq exited with status 2';
    if (failure !== undefined) {
      this.history.push({ at: this.#clock(), action: 'start', ok: false, ssid: config.ssid });
      this.#status = {
        state: 'failed',
        ...describe,
        since: this.#clock(),
        error: { code: 'SOFTAP_FAILED', detail: failure },
      };
      throw softapFailed(failure);
    }
    this.#config = config;
    this.files = { hostapdConf, dnsmasqConf };
    this.history.push({ at: this.#clock(), action: 'start', ok: true, ssid: config.ssid });
    this.#status = { state: 'running', ...describe, since: this.#clock() };
    return this.#status;
  }

  stop(): Promise<AccessPointStatus> {
    if (this.#take('stop')) {
      this.history.push({ at: this.#clock(), action: 'stop', ok: false });
      const detail = 'clearing the AP address: ip exited with status 2';
      this.#status = {
        state: 'failed',
        ...(this.#config ? { interface: this.#config.interface } : {}),
        since: this.#clock(),
        error: { code: 'SOFTAP_FAILED', detail },
      };
      return Promise.reject(softapFailed(detail));
    }
    if (this.#status.state !== 'station') this.history.push({ at: this.#clock(), action: 'stop', ok: true });
    this.#config = undefined;
    this.files = undefined;
    if (this.#status.state !== 'station') this.#status = { state: 'station', since: this.#clock() };
    return Promise.resolve(this.#status);
  }

  status(): Promise<AccessPointStatus> {
    return Promise.resolve(this.#status);
  }
}
