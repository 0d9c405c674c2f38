/**
 * A STAND-IN for the camera and the platform's QR detector, for tests only: no machine here has a
 * camera, and Chromium on Linux has no BarcodeDetector. It gives the page a `getUserMedia` whose
 * stream is a real MediaStream (a canvas's), and a `BarcodeDetector` that reads `payload` from the
 * third frame it is given (the first ones see nothing, as a camera still focusing). The app's code
 * is unchanged; only these two browser APIs are replaced.
 */
import type { BrowserContext } from 'playwright-core';

/**
 * The detector alone: the app offers **Scan the QR label**, and the browser's own getUserMedia
 * answers it (with no camera here: NotFoundError).
 */
export async function installLabelDetector(context: BrowserContext, payload: string): Promise<void> {
  await context.addInitScript((label: string) => {
    let frames = 0;
    class StandInDetector {
      static getSupportedFormats(): Promise<string[]> {
        return Promise.resolve(['qr_code']);
      }
      detect(source: unknown): Promise<Array<{ rawValue: string }>> {
        if (!(source instanceof HTMLVideoElement)) return Promise.reject(new TypeError('not a video'));
        frames++;
        return Promise.resolve(frames >= 3 ? [{ rawValue: label }] : []);
      }
    }
    Object.assign(window, { BarcodeDetector: StandInDetector, __labelFrames: () => frames });
  }, payload);
}

/** The detector and a camera whose frames it reads. */
export async function installLabelCamera(context: BrowserContext, payload: string): Promise<void> {
  await installLabelDetector(context, payload);
  await context.addInitScript(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    // A canvas stream has frames only while the canvas is drawn on: a frame every 50 ms, as a camera sends.
    const paint = (): void => {
      const ctx = canvas.getContext('2d');
      if (ctx) ctx.fillStyle = `hsl(${(performance.now() / 10) % 360} 50% 50%)`;
      ctx?.fillRect(0, 0, canvas.width, canvas.height);
    };
    Object.defineProperty(navigator, 'mediaDevices', {
      configurable: true,
      value: {
        getUserMedia: () => {
          paint();
          const stream = canvas.captureStream();
          const timer = setInterval(paint, 50);
          stream.getVideoTracks()[0]?.addEventListener('ended', () => clearInterval(timer));
          return Promise.resolve(stream);
        },
      },
    });
  });
}
