/** QR renderings of the setup payload: terminal (UTF-8 half blocks), PNG and SVG files (mode 0600). */
import type QRCode from 'qrcode';
import { writeFileAtomicSync } from '../storage/index.js';

/** The QR library, loaded on first use: the device's command line (`--help` too) imports this module. */
async function qrcode(): Promise<typeof QRCode> {
  return (await import('qrcode')).default;
}

/** Medium error correction: survives a scuffed label, stays small (version 4-5 for our payload). */
const QR_OPTIONS = { errorCorrectionLevel: 'M' } as const;

export async function renderQrTerminal(payload: string): Promise<string> {
  return (await qrcode()).toString(payload, { ...QR_OPTIONS, type: 'utf8', margin: 2 });
}

export async function writeQrPng(path: string, payload: string, scale = 8): Promise<void> {
  const png = await (await qrcode()).toBuffer(payload, { ...QR_OPTIONS, type: 'png', scale, margin: 4 });
  writeFileAtomicSync(path, png);
}

export async function writeQrSvg(path: string, payload: string): Promise<void> {
  const svg = await (await qrcode()).toString(payload, { ...QR_OPTIONS, type: 'svg', margin: 4 });
  writeFileAtomicSync(path, svg);
}
