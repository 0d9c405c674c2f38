/**
 * The one manual clock for tests: protocol/clock.ts's Timers, plus its Clock (`clock`), on simulated
 * time that moves only when the test says so. Waits are asserted without the wall clock:
 *
 * - `advanceTo(t)` fires what is due by `t`, in order, letting promises run after each (the
 *   simulated-clock tests of the SoftAP policy, the device's setup wiring, the BLE server);
 * - `fire(ms)` / `fireAll()` fire by delay or everything, whatever the time (tests that only care
 *   that a bound is armed and what happens when it expires);
 * - `{ instant: true }`: every timer fires at once (on a microtask), the clock jumping by its delay,
 *   so a routine that polls or backs off runs to its end with no waiting (the Wi-Fi backends, the
 *   fleet's retries, a timeout that consumes exactly its bound).
 */
import type { Clock, Timers } from '../../protocol/index.js';

export interface ManualTimersOptions {
  /** Simulated time at the start (ms). */
  start?: number;
  /** Fire every timer at once, moving the clock by its delay. */
  instant?: boolean;
}

export interface PendingTimer {
  /** When it is due (simulated ms). */
  readonly at: number;
  /** The delay it was set with. */
  readonly ms: number;
  readonly fn: () => void;
}

export class ManualTimers implements Timers {
  /** Simulated time now (ms). */
  now: number;
  /** The clock that reads {@link now}. */
  readonly clock: Clock = () => this.now;
  readonly pending = new Map<number, PendingTimer>();
  /** Every delay set, in order. */
  readonly delays: number[] = [];
  /** How many timers have fired. */
  fired = 0;
  readonly #instant: boolean;
  #next = 1;

  constructor(options: ManualTimersOptions = {}) {
    this.now = options.start ?? 0;
    this.#instant = options.instant ?? false;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, ms, fn });
    this.delays.push(ms);
    if (this.#instant) {
      this.now += ms;
      queueMicrotask(() => this.#run(id));
    }
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Pending timers set with this delay. */
  count(ms: number): number {
    return [...this.pending.values()].filter((t) => t.ms === ms).length;
  }

  /** Fires every pending timer set with this delay; returns how many. */
  fire(ms: number): number {
    const due = [...this.pending].filter(([, t]) => t.ms === ms);
    for (const [id] of due) this.#run(id);
    return due.length;
  }

  /** Fires every pending timer (not those they set). */
  fireAll(): void {
    for (const id of [...this.pending.keys()]) this.#run(id);
  }

  /** Moves the clock to `t`, firing what is due on the way, in order, and letting promises run after each. */
  async advanceTo(t: number): Promise<void> {
    for (;;) {
      const due = [...this.pending].filter(([, p]) => p.at <= t).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.now = due[1].at;
      this.#run(due[0]);
      await flush();
    }
    this.now = t;
    await flush();
  }

  #run(id: number): void {
    const timer = this.pending.get(id);
    if (timer === undefined) return;
    this.pending.delete(id);
    this.fired++;
    timer.fn();
  }
}

/** Lets queued promise callbacks (driver actions, monitor checks) run: event-loop turns, not time. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
