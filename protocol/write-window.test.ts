import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './codec.js';
import { ProtocolError } from './errors.js';
import {
  DEVICE_WRITE_WINDOW,
  WriteWindowReceiver,
  WriteWindowSender,
  writeWindowFeature,
  writeWindowOf,
} from './write-window.js';
import type { WriteKind } from './write-window.js';
import { runDevice, runPhone } from './vectors/write-window.js';
import type { DeviceEvent } from './vectors/write-window.js';

interface Vectors {
  feature: { window: number; entry: string };
  info: { features: string[]; cbor: string };
  features: { feat: string[]; window: number | null }[];
  device: { name: string; window: number; events: string; rejectedAt: number | null; pending: number }[];
  phone: { name: string; window: number | null; flush: string; kinds: string }[];
}

const vectors = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'vectors', 'write-window.json'), 'utf8'),
) as Vectors;
const EVENT: Record<string, DeviceEvent> = { R: 'request', C: 'command', H: 'handled' };
const KIND: Record<WriteKind, string> = { request: 'R', command: 'C' };
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

describe('write window (PROTOCOL.md §2.4), against write-window.json', () => {
  it('announces the device window in info.feat, and a phone reads it back from the CBOR', () => {
    expect(writeWindowFeature(vectors.feature.window)).toBe(vectors.feature.entry);
    expect(vectors.feature.window).toBe(DEVICE_WRITE_WINDOW);
    const info = decodeMessage(hex(vectors.info.cbor));
    expect(info.type === 'info' && info.features).toEqual(vectors.info.features);
    expect(info.type === 'info' && writeWindowOf(info.features)).toBe(DEVICE_WRITE_WINDOW);
  });

  it('takes the window from the features, ignoring entries that do not parse', () => {
    expect(vectors.features.length).toBeGreaterThanOrEqual(8);
    for (const v of vectors.features) expect(writeWindowOf(v.feat) ?? null, v.feat.join(',')).toBe(v.window);
  });

  it('device: rejects exactly the frame beyond the window, and holds at most W unhandled frames', () => {
    expect(vectors.device.some((v) => v.rejectedAt !== null)).toBe(true);
    expect(vectors.device.some((v) => v.rejectedAt === null)).toBe(true);
    for (const v of vectors.device) {
      const outcome = runDevice(
        v.window,
        [...v.events].map((e) => EVENT[e]!),
      );
      expect(outcome, v.name).toEqual({ rejectedAt: v.rejectedAt, pending: v.pending });
      expect(outcome.pending, v.name).toBeLessThanOrEqual(v.window);
    }
  });

  it('phone: writes the kinds of the vectors', () => {
    for (const v of vectors.phone) {
      const kinds = runPhone(
        v.window,
        [...v.flush].map((f) => f === '!'),
      );
      expect(kinds.map((k) => KIND[k]).join(''), v.name).toBe(v.kinds);
    }
  });

  it('a phone that follows the rule is never rejected by a device with the same window', () => {
    for (const window of [2, 3, 8, DEVICE_WRITE_WINDOW]) {
      const phone = new WriteWindowSender(window);
      const device = new WriteWindowReceiver(window);
      let unanswered = 0;
      for (let i = 0; i < 1000; i++) {
        const kind = phone.next(i % 37 === 36);
        device.receive(kind);
        unanswered++;
        // The device handles frames late, but always before it answers a request (the phone waits for that).
        if (kind === 'request') for (; unanswered > 0; unanswered--) device.handled();
        expect(device.pending).toBeLessThanOrEqual(window);
      }
    }
  });

  it('throws WRITE_WINDOW_EXCEEDED as a ProtocolError, and refuses windows outside 2..255', () => {
    const device = new WriteWindowReceiver(2);
    device.receive('command');
    expect(() => device.receive('command')).toThrow(ProtocolError);
    try {
      device.receive('command');
    } catch (err) {
      expect((err as ProtocolError).code).toBe('WRITE_WINDOW_EXCEEDED');
    }
    expect(() => new WriteWindowReceiver(1)).toThrow(RangeError);
    expect(() => writeWindowFeature(256)).toThrow(RangeError);
    expect(new WriteWindowSender(undefined).next()).toBe('request');
  });
});
