/**
 * The thin, impure part around {@link FallbackPolicy}: feeds it events, carries its decisions out
 * through injected actions one at a time, and keeps one injected timer armed for its next deadline.
 * A failed `startAp` becomes an `apFailed` event (retry after the back-off); a failed `enableBle`
 * becomes "controller absent" (which may itself start the AP).
 */
import type { Clock, Timers } from '../../protocol/index.js';
import type { FallbackPolicy } from './fallback-policy.js';
import type { Decision, FallbackEvent } from './types.js';

export interface FallbackActions {
  startAp(): Promise<void>;
  /** Stop the AP and return the interface to station mode. */
  stopAp(): Promise<void>;
  enableBle(): Promise<void>;
  disableBle(): Promise<void>;
}

export interface FallbackDriverOptions {
  policy: FallbackPolicy;
  actions: FallbackActions;
  timers: Timers;
  clock: Clock;
  onDecision?: (decision: Decision) => void;
  /** Failures of actions (already turned into events where that helps). Never throws. */
  onError?: (error: unknown, decision: Decision) => void;
}

export class FallbackDriver {
  readonly #o: FallbackDriverOptions;
  #timer: unknown;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: FallbackDriverOptions) {
    this.#o = options;
  }

  /** Sends the boot `tick`. */
  start(): Promise<void> {
    return this.dispatch({ type: 'tick' });
  }

  /**
   * Feeds one event to the policy now (synchronously, so the policy's view is always current) and
   * resolves when the resulting decisions, and those of any follow-up events, have been carried out.
   */
  dispatch(event: FallbackEvent): Promise<void> {
    if (this.#closed) return this.#settled();
    let decisions: Decision[];
    try {
      decisions = this.#o.policy.handle(event);
    } catch (err) {
      // e.g. DEVICE_BUSY for a jobStarted that bypassed the JobLock: reject, never throw synchronously.
      return Promise.reject(err);
    }
    this.#arm();
    this.#tail = this.#tail.then(() => this.#carryOut(decisions));
    return this.#settled();
  }

  /** Resolves once the queue is empty, including follow-ups appended while it ran. */
  async #settled(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail);
  }

  /** Stops the timer; later events are ignored. Does not stop the AP or BLE (call the actions for that). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #carryOut(decisions: Decision[]): Promise<void> {
    for (const decision of decisions) {
      this.#o.onDecision?.(decision);
      try {
        await this.#o.actions[decision.type]();
      } catch (err) {
        this.#o.onError?.(err, decision);
        if (decision.type === 'startAp') this.#followUp({ type: 'apFailed' });
        if (decision.type === 'enableBle') this.#followUp({ type: 'bleControllerPresent', present: false });
      }
    }
  }

  /** An event raised while carrying out decisions: its decisions run after the current batch. */
  #followUp(event: FallbackEvent): void {
    if (this.#closed) return;
    const decisions = this.#o.policy.handle(event);
    this.#arm();
    this.#tail = this.#tail.then(() => this.#carryOut(decisions));
  }

  #arm(): void {
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = this.#o.policy.nextDeadline();
    if (deadline === undefined || this.#closed) return;
    const delay = Math.max(0, deadline - this.#o.clock());
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = undefined;
      void this.dispatch({ type: 'tick' });
    }, delay);
  }
}
