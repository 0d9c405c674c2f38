/**
 * The device's time: the system implementation of protocol/clock.ts's Clock and Timers, the one
 * every device routine defaults to (the engine's bounded waits, the Wi-Fi backends' polls, the fleet
 * routine's back-off, the SoftAP policy's deadlines).
 */
import type { Clock, Timers } from '../../protocol/index.js';

export const systemClock: Clock = () => Date.now();

/**
 * Unref'd: a pending timer never keeps the process alive by itself. Each bounds or paces work that
 * does (a socket, a child process, the daemon's servers), so `device stop` is never held open by one.
 */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
