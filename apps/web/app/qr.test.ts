/**
 * The QR label path of the web app without a camera (no machine here has one): the label's payload
 * (the CLI's `--qr` format) parsed for the chosen device, the "no BarcodeDetector → typing only"
 * decision, and the scan loop over a detector and getUserMedia that behave like the browser's.
 */
import { describe, expect, it } from 'vitest';
import { encodeSetupPayload, formatSetupCode, generateSetupCode } from '../../../protocol/session/index.js';
import type { Timers } from '../../../protocol/index.js';
import { canScanLabels, SCAN_TIMEOUT_MS, scanLabel, setupCodeFromLabel } from './qr.js';
import type { BarcodeDetectorClass, LabelScanEnv } from './qr.js';

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
const code = generateSetupCode(random);
const label = encodeSetupPayload({ deviceId: 'pi-kitchen', setupCode: code, transports: ['ble', 'softap'] });

/** A detector class that knows `formats` and reads `frames` one detect() call each (then nothing). */
function detector(formats: string[], frames: string[][] = []): BarcodeDetectorClass & { calls: number } {
  const cls = class {
    static calls = 0;
    static getSupportedFormats(): Promise<string[]> {
      return Promise.resolve(formats);
    }
    detect(): Promise<Array<{ rawValue: string }>> {
      const frame = frames[cls.calls++] ?? [];
      return Promise.resolve(frame.map((rawValue) => ({ rawValue })));
    }
  };
  return cls;
}

/** getUserMedia with one video track that records being stopped; or refusing as a denied permission does. */
function camera(refuse?: string) {
  const track = { stopped: false, stop: () => (track.stopped = true) };
  const asked: MediaStreamConstraints[] = [];
  return {
    track,
    asked,
    mediaDevices: {
      getUserMedia: (constraints?: MediaStreamConstraints): Promise<MediaStream> => {
        asked.push(constraints ?? {});
        if (refuse) return Promise.reject(Object.assign(new Error('denied'), { name: refuse }));
        return Promise.resolve({ getTracks: () => [track] } as unknown as MediaStream);
      },
    },
  };
}

/** Timers whose waits end at once (the loop's pace is not what is tested), and a clock each wait moves on. */
function fastTime(stepMs = 250): { timers: Timers; now: () => number } {
  let t = 0;
  return {
    timers: {
      setTimeout: (fn) => {
        t += stepMs;
        queueMicrotask(fn);
        return 0;
      },
      clearTimeout: () => undefined,
    },
    now: () => t,
  };
}

describe('the setup code from the QR label', () => {
  it("reads the CLI's --qr payload of the chosen device as the code people type", () => {
    expect(setupCodeFromLabel(label, 'pi-kitchen')).toBe(formatSetupCode(code));
    expect(setupCodeFromLabel(`  ${label.replace('tup:1?', 'TUP:1?')}\n`, 'pi-kitchen')).toBe(formatSetupCode(code));
  });

  it("refuses another device's label and what is not a label, without the code in the message", () => {
    const other = (): string => setupCodeFromLabel(label, 'pi-hall');
    expect(other).toThrow(expect.objectContaining({ code: 'SESSION_SETUP_CODE_INVALID' }));
    expect(other).toThrow(/for pi-kitchen, not for pi-hall/);
    expect(other).not.toThrow(new RegExp(code));
    for (const bad of ['https://example.com/', 'tup:1?n=pi-kitchen&t=ble', label.replace(code, 'ABCD')])
      expect(() => setupCodeFromLabel(bad, 'pi-kitchen')).toThrow(
        expect.objectContaining({ code: 'SESSION_SETUP_CODE_INVALID' }),
      );
  });
});

describe('scanning is offered only where the browser can read QR codes', () => {
  it('no BarcodeDetector (Firefox, Safari, Chrome on Linux and Windows), or no camera API: typing only', async () => {
    expect(await canScanLabels({})).toBe(false);
    expect(await canScanLabels({ mediaDevices: camera().mediaDevices })).toBe(false);
    expect(await canScanLabels({ BarcodeDetector: detector(['qr_code']) })).toBe(false);
  });

  it('a detector without the QR format does not count; one with it does', async () => {
    const { mediaDevices } = camera();
    expect(await canScanLabels({ BarcodeDetector: detector([]), mediaDevices })).toBe(false);
    expect(await canScanLabels({ BarcodeDetector: detector(['ean_13']), mediaDevices })).toBe(false);
    expect(await canScanLabels({ BarcodeDetector: detector(['ean_13', 'qr_code']), mediaDevices })).toBe(true);
  });
});

describe('scanLabel', () => {
  const scan = (env: LabelScanEnv, signal = new AbortController().signal, time = fastTime()) =>
    scanLabel('pi-kitchen', { env, signal, show: () => Promise.resolve('video'), ...time });

  it('passes over frames without a label and other QR codes, returns the code and releases the camera', async () => {
    const cam = camera();
    const Detector = detector(['qr_code'], [[], ['WIFI:S:home;;'], [label]]);
    await expect(scan({ BarcodeDetector: Detector, mediaDevices: cam.mediaDevices })).resolves.toBe(
      formatSetupCode(code),
    );
    expect(Detector.calls).toBe(3);
    expect(cam.asked).toEqual([{ video: { facingMode: 'environment' }, audio: false }]);
    expect(cam.track.stopped).toBe(true);
  });

  it("stops at another device's label with its code, and releases the camera", async () => {
    const cam = camera();
    const other = encodeSetupPayload({ deviceId: 'pi-hall', setupCode: code, transports: ['ble'] });
    await expect(
      scan({ BarcodeDetector: detector(['qr_code'], [[other]]), mediaDevices: cam.mediaDevices }),
    ).rejects.toMatchObject({
      code: 'SESSION_SETUP_CODE_INVALID',
      detail: 'this label is for pi-hall, not for pi-kitchen',
    });
    expect(cam.track.stopped).toBe(true);
  });

  it('a camera that cannot open is CAMERA_UNAVAILABLE naming why (the person types the code)', async () => {
    const refusals = [
      ['NotAllowedError', 'the browser denied this site the camera (NotAllowedError)'],
      ['NotFoundError', 'this phone or browser has no camera (NotFoundError)'],
      ['NotReadableError', 'the camera is in use by another app (NotReadableError)'],
      // A name of the browser's own (headless Chromium 153 with a fake camera): the general reason.
      ['NotSupportedError', 'the camera could not be opened (NotSupportedError)'],
    ] as const;
    for (const [name, detail] of refusals) {
      const cam = camera(name);
      await expect(
        scan({ BarcodeDetector: detector(['qr_code']), mediaDevices: cam.mediaDevices }),
      ).rejects.toMatchObject({ code: 'CAMERA_UNAVAILABLE', detail });
    }
  });

  it('gives up after SCAN_TIMEOUT_MS without a label, and releases the camera', async () => {
    const cam = camera();
    const Detector = detector(['qr_code']);
    await expect(scan({ BarcodeDetector: Detector, mediaDevices: cam.mediaDevices })).rejects.toMatchObject({
      code: 'SESSION_SETUP_CODE_INVALID',
      detail: `no QR label was read within ${SCAN_TIMEOUT_MS / 1000} s`,
    });
    expect(Detector.calls).toBe(SCAN_TIMEOUT_MS / 250 + 1);
    expect(cam.track.stopped).toBe(true);
  });

  it('ends with undefined when the person types instead (aborted), and releases the camera', async () => {
    const cam = camera();
    const abort = new AbortController();
    const Detector = detector(['qr_code']);
    const time = fastTime();
    // A wait that never ends by itself: the person presses "Type the code instead" during it.
    const slow: Timers = {
      setTimeout: () => {
        queueMicrotask(() => abort.abort());
        return 0;
      },
      clearTimeout: () => undefined,
    };
    await expect(
      scan({ BarcodeDetector: Detector, mediaDevices: cam.mediaDevices }, abort.signal, {
        timers: slow,
        now: time.now,
      }),
    ).resolves.toBeUndefined();
    expect(Detector.calls).toBe(1);
    expect(cam.track.stopped).toBe(true);
  });
});
