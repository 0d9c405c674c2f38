/**
 * The write window (PROTOCOL.md §2.4): flow control for frames the phone writes as ATT Write
 * Commands (write without response). The device announces a window W in `info.feat`
 * (`writeWindow=W`); the phone then writes at most W − 1 frames as Write Commands after its last
 * acknowledged Write Request and the W-th as a Write Request, and waits for its response; the
 * device answers a Write Request only once every frame before it on the connection is handled,
 * so it never holds more than W frames it has not handled. Sans I/O: both sides' rules as small
 * state machines, driven by the transports.
 */
import { ProtocolError } from './errors.js';

/** How the phone wrote a frame: an ATT Write Request (answered) or a Write Command (not answered). */
export type WriteKind = 'request' | 'command';

/** Name of the `info.feat` entry, followed by `=` and the window in decimal. */
export const WRITE_WINDOW_FEATURE = 'writeWindow';
/** Smallest and largest window a device may announce (frames). */
export const MIN_WRITE_WINDOW = 2;
export const MAX_WRITE_WINDOW = 255;
/**
 * The window this device announces: enough that one request's round trip (two connection events)
 * costs at most ~1/8 of the time of the frames it covers at 8 LL PDUs per event (PROTOCOL.md §2.4).
 */
export const DEVICE_WRITE_WINDOW = 64;

const ENTRY = /^writeWindow=([1-9][0-9]{0,2})$/;

/** The `info.feat` entry that announces window `window`. */
export function writeWindowFeature(window: number): string {
  if (!Number.isInteger(window) || window < MIN_WRITE_WINDOW || window > MAX_WRITE_WINDOW)
    throw new RangeError(`a write window is ${MIN_WRITE_WINDOW}..${MAX_WRITE_WINDOW} frames`);
  return `${WRITE_WINDOW_FEATURE}=${window}`;
}

/**
 * The window a device announces in its features, or undefined (no valid entry: write every frame
 * as a Write Request). Entries that do not parse are ignored like unknown features; of several
 * valid entries the smallest window counts.
 */
export function writeWindowOf(features: readonly string[]): number | undefined {
  let window: number | undefined;
  for (const entry of features) {
    const digits = ENTRY.exec(entry)?.[1];
    if (digits === undefined) continue;
    const w = Number(digits);
    if (w < MIN_WRITE_WINDOW || w > MAX_WRITE_WINDOW) continue;
    window = window === undefined ? w : Math.min(window, w);
  }
  return window;
}

/**
 * The phone's side: the kind of each next frame. Without a window (the device did not announce
 * one, or the phone's stack cannot write without response) every frame is a Write Request. The
 * caller awaits the response of every request before it writes the next frame.
 */
export class WriteWindowSender {
  private commands = 0;

  constructor(readonly window: number | undefined) {}

  /**
   * The kind of the next frame. `flush`: the phone waits for the device after this frame (the end
   * of a message it wants answered), so it asks for the response that proves delivery.
   */
  next(flush = false): WriteKind {
    if (this.window === undefined || flush || this.commands + 1 >= this.window) {
      this.commands = 0;
      return 'request';
    }
    this.commands++;
    return 'command';
  }
}

/**
 * The device's side: counts the frames of one connection. `receive` before a frame is queued
 * (throws WRITE_WINDOW_EXCEEDED for a frame beyond the window: the frame is dropped, never held);
 * `handled` once the oldest received frame has been handled. A Write Request is answered only
 * after `handled` has been called for it (and so for every frame before it).
 */
export class WriteWindowReceiver {
  private commands = 0;
  private unhandled = 0;

  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < MIN_WRITE_WINDOW || window > MAX_WRITE_WINDOW)
      throw new RangeError(`a write window is ${MIN_WRITE_WINDOW}..${MAX_WRITE_WINDOW} frames`);
  }

  /** Frames received and not yet handled (at most `window`). */
  get pending(): number {
    return this.unhandled;
  }

  receive(kind: WriteKind): void {
    if (this.unhandled >= this.window)
      throw new ProtocolError('WRITE_WINDOW_EXCEEDED', {
        detail: `a frame arrived while ${this.window} frames were unhandled`,
      });
    if (kind === 'command' && this.commands + 1 >= this.window)
      throw new ProtocolError('WRITE_WINDOW_EXCEEDED', {
        detail: `more than ${this.window - 1} Write Commands after the last Write Request`,
      });
    this.commands = kind === 'command' ? this.commands + 1 : 0;
    this.unhandled++;
  }

  handled(): void {
    if (this.unhandled > 0) this.unhandled--;
  }
}
