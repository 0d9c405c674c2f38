/**
 * The phone's time: the system implementation of protocol/clock.ts's Timers (browser-safe: the SoftAP
 * page bundles it), and the waits built on it. Injectable so that tests need not wait (STYLE.md §6).
 */
import type { Timers } from '../../protocol/index.js';

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Settles like `promise`, or rejects with `onTimeout()` after `ms`. */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  timers: Timers = systemTimers,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const handle = timers.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        timers.clearTimeout(handle);
        resolve(v);
      },
      (e: unknown) => {
        timers.clearTimeout(handle);
        reject(e);
      },
    );
  });
}

export function delay(ms: number, timers: Timers = systemTimers): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, ms);
  });
}
