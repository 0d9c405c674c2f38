import type { Timer } from '../../softap-fallback/policy/driver.js';

/** A timer on a simulated clock: `advanceTo` fires what is due, in order (then lets promises run). */
export class ManualTimer implements Timer {
  now = 0;
  #next = 1;
  readonly pending = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  async advanceTo(t: number): Promise<void> {
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= t).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
      await flush();
    }
    this.now = t;
    await flush();
  }
}

/** Lets queued promise callbacks (driver actions, monitor checks) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
