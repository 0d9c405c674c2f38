/**
 * Time, injected: the one Clock and Timers of every side. The protocol is sans I/O and the engines and
 * the device's routines take time the same way, so tests run on a manual clock
 * (test/support/manual-timers.ts) and the virtual air on its own. The system implementations exist
 * once per deployable side: the device's in peripheral/system/timers.ts, the phone's in
 * central/engine/wait.ts.
 */

/** Milliseconds now: since the Unix epoch for the system clock (Date.now), from any fixed origin otherwise. */
export type Clock = () => number;

/** setTimeout/clearTimeout as an object, so that tests and simulations drive time themselves. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Resolves after `ms` on `timers`; rejects with the signal's reason when aborted (the timer is cleared). */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal?.reason as Error);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
