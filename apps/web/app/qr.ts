/**
 * The setup code read from the device's QR label: the camera (getUserMedia) and the browser's
 * `BarcodeDetector` where it has both (Chrome on Android, ChromeOS and macOS; not on Linux or
 * Windows desktops, nor in Safari or Firefox), typing otherwise. The label holds the payload the
 * CLI's `--qr` takes (`tup:1?n=<device id>&c=<setup code>&t=<transports>`, protocol/session
 * parseSetupPayload). The browser's objects are passed in, so the logic runs without a camera.
 */
import { ProvisioningError, sleep } from '../../../protocol/index.js';
import type { Clock, Timers } from '../../../protocol/index.js';
import { formatSetupCode, parseSetupPayload } from '../../../protocol/session/index.js';
import { systemTimers } from '../../../central/engine/index.js';

/** How often a camera frame is handed to the detector, ms. */
export const SCAN_INTERVAL_MS = 250;
/** The camera is closed after this long without a label, ms. */
export const SCAN_TIMEOUT_MS = 60_000;

/** The part of the Barcode Detection API the app uses (not in TypeScript's DOM types yet). */
export interface BarcodeDetectorLike {
  detect(source: unknown): Promise<ReadonlyArray<{ readonly rawValue: string }>>;
}
export interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

/** What the page offers: `globalThis.BarcodeDetector` and `navigator.mediaDevices`, either may be missing. */
export interface LabelScanEnv {
  readonly BarcodeDetector?: BarcodeDetectorClass | undefined;
  readonly mediaDevices?: Pick<MediaDevices, 'getUserMedia'> | undefined;
}

/** The page's own: `BarcodeDetector` where the browser has it. */
export function browserScanEnv(): LabelScanEnv {
  const g = globalThis as { BarcodeDetector?: BarcodeDetectorClass };
  return { BarcodeDetector: g.BarcodeDetector, mediaDevices: navigator.mediaDevices };
}

/** Whether a label can be read here: a detector that knows QR codes, and a camera API. */
export async function canScanLabels(env: LabelScanEnv): Promise<boolean> {
  if (!env.BarcodeDetector || !env.mediaDevices) return false;
  // A browser may list the API but no format (no platform detector): then it cannot read ours.
  const formats = await env.BarcodeDetector.getSupportedFormats().catch((): string[] => []);
  return formats.includes('qr_code');
}

/**
 * The setup code in a label's payload, formatted as typed (XXXX-XXXX-XXX); the label must be the
 * chosen device's. SESSION_SETUP_CODE_INVALID says what is wrong (never the code itself).
 */
export function setupCodeFromLabel(payload: string, deviceId: string): string {
  const label = parseSetupPayload(payload.trim());
  if (label.deviceId !== deviceId)
    throw new ProvisioningError('SESSION_SETUP_CODE_INVALID', {
      detail: `this label is for ${label.deviceId}, not for ${deviceId}`,
    });
  return formatSetupCode(label.setupCode);
}

/**
 * Why getUserMedia refused, by the DOMException's name (W3C Media Capture and Streams, getUserMedia):
 * said in words the person can act on. Other names (a browser's own) keep the general reason.
 */
const CAMERA_REFUSALS: ReadonlyMap<string, string> = new Map([
  ['NotAllowedError', 'the browser denied this site the camera'],
  ['SecurityError', 'the browser denied this site the camera'],
  ['NotFoundError', 'this phone or browser has no camera'],
  ['OverconstrainedError', 'this phone or browser has no camera'],
  ['NotReadableError', 'the camera is in use by another app'],
]);

/** A camera that cannot be opened is CAMERA_UNAVAILABLE (not a bad code: the person can still type it), naming why. */
function cameraError(err: unknown): ProvisioningError {
  const name = (err as { name?: unknown } | undefined)?.name;
  const known = typeof name === 'string' ? name : 'Error';
  const why = CAMERA_REFUSALS.get(known) ?? 'the camera could not be opened';
  return new ProvisioningError('CAMERA_UNAVAILABLE', { detail: `${why} (${known})`, cause: err });
}

export interface ScanOptions {
  readonly env: LabelScanEnv;
  /** Shows the camera's stream (a <video>) and resolves with what the detector reads frames from. */
  readonly show: (stream: MediaStream) => Promise<unknown>;
  readonly signal: AbortSignal;
  readonly timers?: Timers;
  readonly now?: Clock;
}

/**
 * Opens the back camera and reads frames until a label of `deviceId` is seen: its setup code.
 * Other QR codes are passed over; a label of another device or SCAN_TIMEOUT_MS without a label is
 * SESSION_SETUP_CODE_INVALID, a camera that cannot open CAMERA_UNAVAILABLE; `signal` aborted (the
 * person types instead) resolves undefined. The camera is released in every case.
 */
export async function scanLabel(deviceId: string, options: ScanOptions): Promise<string | undefined> {
  const { env } = options;
  if (!env.BarcodeDetector || !env.mediaDevices)
    throw new ProvisioningError('SESSION_SETUP_CODE_INVALID', { detail: 'this browser cannot read QR codes' });
  const detector = new env.BarcodeDetector({ formats: ['qr_code'] });
  let stream: MediaStream;
  try {
    stream = await env.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (err) {
    throw cameraError(err);
  }
  try {
    return await readFrames(detector, await options.show(stream), deviceId, options);
  } finally {
    for (const track of stream.getTracks()) track.stop();
  }
}

async function readFrames(
  detector: BarcodeDetectorLike,
  source: unknown,
  deviceId: string,
  options: ScanOptions,
): Promise<string | undefined> {
  const timers = options.timers ?? systemTimers;
  const now = options.now ?? Date.now;
  const end = now() + SCAN_TIMEOUT_MS;
  while (!options.signal.aborted) {
    for (const { rawValue } of await detector.detect(source)) {
      // Other QR codes in view (a router's, a product's) are not labels: passed over.
      if (!rawValue.trim().toLowerCase().startsWith('tup:')) continue;
      return setupCodeFromLabel(rawValue, deviceId);
    }
    if (now() >= end)
      throw new ProvisioningError('SESSION_SETUP_CODE_INVALID', {
        detail: `no QR label was read within ${SCAN_TIMEOUT_MS / 1000} s`,
      });
    // Aborted while waiting: the loop's condition ends it.
    await sleep(timers, SCAN_INTERVAL_MS, options.signal).catch(() => undefined);
  }
  return undefined;
}
