/**
 * Simulated time for the virtual air. Everything the air does happens at a simulated instant, in
 * microseconds; a scheduler decides when that instant is reached.
 *
 * - {@link VirtualTimeScheduler}: time jumps straight to the next thing due. Deterministic and as
 *   fast as the hosts can answer: simulated time then measures only time on air, never host CPU.
 * - {@link RealTimeScheduler}: simulated time follows the wall clock times a speed factor (1 = real
 *   time, 10 = ten times faster), for people watching a device and a phone talk. Its wall clock is
 *   protocol/clock.ts's Clock and Timers, injectable like every other.
 */
import type { Clock, Timers } from '../../protocol/index.js';

export interface AirScheduler {
  /** Simulated time now, µs. */
  now(): number;
  /** Runs `fn` once simulated time reaches `atUs` (or now, if that is past); same-time entries in order. */
  at(atUs: number, fn: () => void): void;
  /** Drops everything pending; nothing runs after this. */
  close(): void;
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

/** A min-heap on (at, seq): FIFO for entries due at the same instant. */
class EntryHeap {
  private readonly items: Entry[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Entry | undefined {
    return this.items[0];
  }
  push(e: Entry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i] as Entry, a[p] as Entry)) break;
      [a[i], a[p]] = [a[p] as Entry, a[i] as Entry];
      i = p;
    }
  }
  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l] as Entry, a[m] as Entry)) m = l;
        if (r < a.length && before(a[r] as Entry, a[m] as Entry)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Entry, a[i] as Entry];
        i = m;
      }
    }
    return top;
  }
  clear(): void {
    this.items.length = 0;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Defers a callback to a later turn of the event loop (injectable for tests). */
export type Defer = (fn: () => void) => void;

export class VirtualTimeScheduler implements AirScheduler {
  private readonly heap = new EntryHeap();
  private seq = 0;
  private time = 0;
  private ticking = false;
  private closed = false;

  constructor(private readonly defer: Defer = (fn) => setImmediate(fn)) {}

  now(): number {
    return this.time;
  }

  at(atUs: number, fn: () => void): void {
    if (this.closed) return;
    this.heap.push({ at: Math.max(atUs, this.time), seq: this.seq++, fn });
    this.kick();
  }

  close(): void {
    this.closed = true;
    this.heap.clear();
  }

  private kick(): void {
    if (this.ticking) return;
    this.ticking = true;
    // One entry per turn: hosts in this process answer (synchronously or in microtasks) between
    // entries, so their replies are scheduled at the instant they react to, not later.
    this.defer(() => this.tick());
  }

  private tick(): void {
    this.ticking = false;
    const e = this.heap.pop();
    if (!e || this.closed) return;
    this.time = Math.max(this.time, e.at);
    try {
      e.fn();
    } finally {
      if (this.heap.size > 0) this.kick();
    }
  }
}

/** The air's wall clock: monotonic (a step of the system clock must not warp simulated time). */
const wallClock: Clock = () => performance.now();

/** Unref'd: the air's sockets keep its process alive, a pending entry alone does not. */
const wallTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class RealTimeScheduler implements AirScheduler {
  private readonly heap = new EntryHeap();
  private seq = 0;
  private readonly startMs: number;
  private timer: { handle: unknown; at: number } | undefined;
  private closed = false;
  /** Simulated time never goes backwards even when an entry runs late. */
  private floor = 0;

  constructor(
    private readonly speed = 1,
    private readonly clock: Clock = wallClock,
    private readonly timers: Timers = wallTimers,
  ) {
    if (!(speed > 0)) throw new RangeError('speed must be > 0');
    this.startMs = clock();
  }

  now(): number {
    return Math.max(this.floor, (this.clock() - this.startMs) * 1000 * this.speed);
  }

  at(atUs: number, fn: () => void): void {
    if (this.closed) return;
    this.heap.push({ at: atUs, seq: this.seq++, fn });
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.heap.clear();
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    this.timer = undefined;
  }

  private arm(): void {
    const next = this.heap.peek();
    if (!next || this.closed) return;
    if (this.timer && this.timer.at <= next.at) return;
    if (this.timer) this.timers.clearTimeout(this.timer.handle);
    const waitMs = Math.max(0, (next.at - this.now()) / 1000 / this.speed);
    this.timer = { handle: this.timers.setTimeout(() => this.fire(), waitMs), at: next.at };
  }

  private fire(): void {
    this.timer = undefined;
    for (;;) {
      const next = this.heap.peek();
      if (!next || this.closed || next.at > this.now()) break;
      this.heap.pop();
      this.floor = Math.max(this.floor, next.at);
      next.fn();
    }
    this.arm();
  }
}
