/**
 * Start-up progress for the demo: each step prints a line when it begins and one when it ends, so
 * the user sees something from the first second (emulator start, air, device processes take seconds).
 */
import type { Clock } from '../protocol/index.js';

export type Say = (line: string) => void;

/**
 * Runs `run` between "LABEL…" and "LABEL: DETAIL (N ms)". A failed step prints "LABEL: failed" and
 * rethrows (the CLI prints the error itself).
 */
export async function step<T>(
  say: Say,
  label: string,
  run: () => Promise<T>,
  detail?: (result: T) => string,
  now: Clock = Date.now,
): Promise<T> {
  say(`${label}…`);
  const started = now();
  let result: T;
  try {
    result = await run();
  } catch (err) {
    say(`${label}: failed`);
    throw err;
  }
  const text = detail?.(result);
  say(`${label}: ${text ? `${text} ` : 'done '}(${now() - started} ms)`);
  return result;
}
