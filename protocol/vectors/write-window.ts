/** The write-window vectors (PROTOCOL.md §2.4, §8): `write-window.json`; pure, no I/O. */
import { encodeMessage } from '../codec.js';
import { isProvisioningError } from '../errors.js';
import type { InfoMessage } from '../messages.js';
import {
  DEVICE_WRITE_WINDOW,
  WriteWindowReceiver,
  WriteWindowSender,
  writeWindowFeature,
  writeWindowOf,
} from '../write-window.js';
import type { WriteKind } from '../write-window.js';

/** What reaches the device: a frame written as a request or a command, or the oldest unhandled frame handled. */
export type DeviceEvent = WriteKind | 'handled';

export interface DeviceOutcome {
  /** Index of the event the device rejects with WRITE_WINDOW_EXCEEDED (the link then ends), or null. */
  rejectedAt: number | null;
  /** Frames received and not handled after the last event processed. */
  pending: number;
}

/** Runs the device's rule over `events`; stops at the first rejection, as the link ends there. */
export function runDevice(window: number, events: readonly DeviceEvent[]): DeviceOutcome {
  const receiver = new WriteWindowReceiver(window);
  for (const [i, e] of events.entries()) {
    if (e === 'handled') {
      receiver.handled();
      continue;
    }
    try {
      receiver.receive(e);
    } catch (err) {
      if (isProvisioningError(err) && err.code === 'WRITE_WINDOW_EXCEEDED')
        return { rejectedAt: i, pending: receiver.pending };
      throw err;
    }
  }
  return { rejectedAt: null, pending: receiver.pending };
}

/** The kinds the phone's rule gives frames, `flush` marking the frames after which it waits for the device. */
export function runPhone(window: number | null, flush: readonly boolean[]): WriteKind[] {
  const sender = new WriteWindowSender(window ?? undefined);
  return flush.map((f) => sender.next(f));
}

export const WINDOW_INFO: InfoMessage = {
  type: 'info',
  versions: [1],
  security: ['spake2p-p256-aes256gcm'],
  maxMessage: 16_384,
  attPayload: [20, 512],
  features: ['wifiScan', 'claimTransfer', 'csrOnDevice', 'keysOnCloud', writeWindowFeature(DEVICE_WRITE_WINDOW)],
  state: 'idle',
  deviceId: 'pi-kitchen',
};

const FEATURE_CASES: readonly (readonly string[])[] = [
  ['wifiScan', 'writeWindow=64'],
  ['wifiScan', 'claimTransfer'],
  ['writeWindow=2'],
  ['writeWindow=255'],
  ['writeWindow=1'],
  ['writeWindow=256'],
  ['writeWindow=064'],
  ['writeWindow= 8'],
  ['writeWindow'],
  ['WriteWindow=8'],
  ['writeWindow=16', 'writeWindow=8'],
];

const R: DeviceEvent = 'request';
const C: DeviceEvent = 'command';
const H: DeviceEvent = 'handled';
const times = <T>(n: number, x: T): T[] => Array<T>(n).fill(x);

const DEVICE_CASES: readonly { name: string; window: number; events: DeviceEvent[] }[] = [
  { name: 'requests only', window: 4, events: [R, H, R, H, R, H] },
  { name: 'W-1 commands, then a request, all handled', window: 4, events: [C, C, C, R, H, H, H, H, C, C, C, R] },
  { name: 'a W-th command after the last request', window: 4, events: [R, H, C, H, C, H, C, H, C] },
  { name: 'commands before any request count too', window: 4, events: [C, C, C, C] },
  { name: 'a request resets the count', window: 4, events: [C, C, C, R, H, H, H, H, C, C, C, R, H, H, H, H] },
  {
    name: 'W unhandled frames, then one more (a request sent before the last was answered)',
    window: 4,
    events: [C, C, C, R, R],
  },
  { name: 'W unhandled frames, one handled, one more', window: 4, events: [C, C, C, R, H, R] },
  {
    name: 'the device window, followed by the phone',
    window: DEVICE_WRITE_WINDOW,
    events: [...times(63, C), R, ...times(64, H), ...times(63, C), R],
  },
  { name: 'the device window, 64 commands', window: DEVICE_WRITE_WINDOW, events: times(64, C) },
];

const PHONE_CASES: readonly { name: string; window: number | null; flush: boolean[] }[] = [
  { name: 'no window: every frame a request', window: null, flush: [false, false, true] },
  { name: 'window 4, ten frames, no wait', window: 4, flush: times(10, false) },
  {
    name: 'window 4, a message of two frames answered, then three',
    window: 4,
    flush: [false, true, false, false, true],
  },
  { name: 'window 2', window: 2, flush: times(4, false) },
  {
    name: 'window 64, 130 frames then the last flushed',
    window: DEVICE_WRITE_WINDOW,
    flush: [...times(129, false), true],
  },
];

export function writeWindowVectors(hex: (bytes: Uint8Array) => string): unknown {
  const short = (k: string): string => (k === 'request' ? 'R' : k === 'command' ? 'C' : 'H');
  return {
    description:
      'The write window (PROTOCOL.md §2.4). `feature`: the info.feat entry of this implementation. `info`: an info document announcing it (deterministic CBOR). `features`: feat lists and the window a phone takes from them (null: Write Requests only). `device`: what reaches a device with window W — R = a frame written as a Write Request, C = as a Write Command, H = the oldest unhandled frame handled — and the index of the event it rejects with WRITE_WINDOW_EXCEEDED (null: none) and the frames left unhandled. `phone`: per frame, whether the phone waits for the device after it (flush), and the kind it must write it as.',
    feature: { window: DEVICE_WRITE_WINDOW, entry: writeWindowFeature(DEVICE_WRITE_WINDOW) },
    info: { features: WINDOW_INFO.features, cbor: hex(encodeMessage(WINDOW_INFO)) },
    features: FEATURE_CASES.map((feat) => ({ feat, window: writeWindowOf(feat) ?? null })),
    device: DEVICE_CASES.map(({ name, window, events }) => {
      const outcome = runDevice(window, events);
      return {
        name,
        window,
        events: events.map(short).join(''),
        ...outcome,
        error: outcome.rejectedAt === null ? null : 'WRITE_WINDOW_EXCEEDED',
      };
    }),
    phone: PHONE_CASES.map(({ name, window, flush }) => ({
      name,
      window,
      flush: flush.map((f) => (f ? '!' : '.')).join(''),
      kinds: runPhone(window, flush).map(short).join(''),
    })),
  };
}
