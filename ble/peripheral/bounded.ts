/**
 * Bounded waits on the BLE stack. bleno answers setServices, startAdvertising and stopAdvertising
 * with a one-shot event listener and only when its controller answers: with the controller gone
 * (dongle unplugged, H4 socket closed) the callback never comes. Every such wait here has a bound,
 * and the listener is removed when the bound fires, so a late answer is dropped, not leaked.
 */
import { ProvisioningError } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';

/** The part of bleno a bounded call needs: its one-shot listeners can be removed. */
export interface ListenerOwner {
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * Calls `invoke(callback)` and resolves when bleno calls back (rejects with its error), or rejects
 * with BLE_UNAVAILABLE after `ms`, removing the callback from `event` on `owner`.
 */
export function boundedStackCall(
  timers: Timers,
  ms: number,
  what: string,
  owner: ListenerOwner,
  event: string,
  invoke: (callback: (err?: Error | null) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const timer = timers.setTimeout(() => {
      if (settled) return;
      settled = true;
      owner.removeListener(event, callback);
      reject(
        new ProvisioningError('BLE_UNAVAILABLE', { detail: `${what}: no answer from the controller within ${ms} ms` }),
      );
    }, ms);
    try {
      invoke(callback);
    } catch (err) {
      callback(err as Error);
    }
  });
}

/** Resolves with `work`'s outcome, or with `false` after `ms` (the work keeps running, unawaited). */
export function within(timers: Timers, ms: number, work: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = timers.setTimeout(() => resolve(false), ms);
    const done = (): void => {
      timers.clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}
