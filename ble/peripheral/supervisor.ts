/**
 * Keeps the BLE controller attached for the life of the device. It notices a lost controller — the
 * transport closed (dongle unplugged, H4 socket gone), or a liveness probe (HCI Read Local Version
 * every CONTROLLER_PROBE_INTERVAL_MS) unanswered within CONTROLLER_PROBE_TIMEOUT_MS, i.e. an HCI
 * command timeout — logs it with the transport's name and re-attaches with back-off (1 s doubling
 * to 30 s). The stack itself (bleno polls its device) initialises the controller again; whoever
 * serves GATT listens to `onChange` and to bleno's poweredOn. Timers are injected.
 */
import type { ControllerLink } from '../index.js';
import type { Timers } from '../../protocol/index.js';
import {
  CONTROLLER_PROBE_INTERVAL_MS,
  CONTROLLER_PROBE_TIMEOUT_MS,
  REATTACH_BACKOFF_INITIAL_MS,
  REATTACH_BACKOFF_MAX_MS,
  REATTACH_TIMEOUT_MS,
} from '../../peripheral/engine/index.js';

export type ControllerState = 'attached' | 'lost';

export interface ControllerSupervisorOptions {
  link: ControllerLink;
  timers: Timers;
  log: (line: string) => void;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  reattachTimeoutMs?: number;
}

export class ControllerSupervisor {
  readonly #o: Required<ControllerSupervisorOptions>;
  #state: ControllerState;
  #delay: number;
  #attempts = 0;
  #everAttached: boolean;
  /** The one timer armed at a time: next probe, probe deadline, back-off or re-attach deadline. */
  #timer: unknown;
  /** Bumped whenever the link changes, so answers to an older probe are ignored. */
  #generation = 0;
  #unsubscribe: (() => void) | undefined;
  readonly #listeners = new Set<(state: ControllerState) => void>();

  constructor(options: ControllerSupervisorOptions) {
    this.#o = {
      probeIntervalMs: CONTROLLER_PROBE_INTERVAL_MS,
      probeTimeoutMs: CONTROLLER_PROBE_TIMEOUT_MS,
      backoffInitialMs: REATTACH_BACKOFF_INITIAL_MS,
      backoffMaxMs: REATTACH_BACKOFF_MAX_MS,
      reattachTimeoutMs: REATTACH_TIMEOUT_MS,
      ...options,
    };
    this.#delay = this.#o.backoffInitialMs;
    this.#state = options.link.attached ? 'attached' : 'lost';
    this.#everAttached = this.#state === 'attached';
  }

  get state(): ControllerState {
    return this.#state;
  }

  /** Listens to attached ↔ lost; returns the unsubscribe function. */
  onChange(listener: (state: ControllerState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#o.link.onLinkChange((attached, error) => this.#linkChanged(attached, error));
    if (this.#state === 'attached') this.#schedule(this.#o.probeIntervalMs, () => this.#probe());
    else this.#awaitAttach(); // The first link is still opening (its Reset unanswered).
  }

  /** Probes now (e.g. a stack call went unanswered): a dead controller is found without waiting. */
  checkNow(): void {
    if (this.#unsubscribe && this.#state === 'attached') this.#probe();
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#clear();
    this.#generation++;
  }

  #linkChanged(attached: boolean, error?: Error): void {
    this.#generation++;
    this.#clear();
    if (attached) {
      if (this.#state === 'lost' && this.#everAttached)
        this.#o.log(`ble: controller on ${this.#o.link.transport} is back (attempt ${this.#attempts})`);
      this.#everAttached = true;
      this.#attempts = 0;
      this.#delay = this.#o.backoffInitialMs;
      this.#set('attached');
      this.#schedule(this.#o.probeIntervalMs, () => this.#probe());
      return;
    }
    const why = error ? ` (${error.message})` : '';
    if (this.#state === 'attached') {
      this.#o.log(`ble: controller lost on ${this.#o.link.transport}${why}`);
      this.#set('lost');
    } else if (this.#attempts === 0) {
      this.#o.log(`ble: no controller on ${this.#o.link.transport}${why}`);
    }
    this.#scheduleReattach();
  }

  #scheduleReattach(): void {
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#o.backoffMaxMs);
    this.#schedule(delay, () => this.#reattach());
  }

  #reattach(): void {
    this.#attempts++;
    this.#o.log(`ble: re-attaching to ${this.#o.link.transport} (attempt ${this.#attempts})`);
    this.#awaitAttach();
    this.#o.link.reattach();
  }

  /** A link that has not attached within the bound is cut (and so retried after the back-off). */
  #awaitAttach(): void {
    const generation = this.#generation;
    this.#schedule(this.#o.reattachTimeoutMs, () => {
      if (generation !== this.#generation || this.#o.link.attached) return;
      this.#o.link.detach(new Error(`no answer to HCI Reset within ${this.#o.reattachTimeoutMs} ms`));
    });
  }

  #probe(): void {
    this.#clear();
    const generation = this.#generation;
    const { probeTimeoutMs, probeIntervalMs } = this.#o;
    this.#schedule(probeTimeoutMs, () => {
      if (generation !== this.#generation) return;
      this.#o.link.detach(new Error(`no answer to HCI Read Local Version within ${probeTimeoutMs} ms`));
    });
    this.#o.link.probe().then(
      () => {
        if (generation !== this.#generation || !this.#unsubscribe) return;
        this.#clear();
        this.#schedule(probeIntervalMs, () => this.#probe());
      },
      () => undefined, // The link went: #linkChanged handles it.
    );
  }

  #set(state: ControllerState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const l of [...this.#listeners]) l(state);
  }

  #schedule(ms: number, fn: () => void): void {
    this.#clear();
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = undefined;
      fn();
    }, ms);
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
