import { describe, expect, it } from 'vitest';
import type { DeviceLink, NotifyName } from '../../../central/ble/device-link.js';
import { orderedLink } from './ordered-link.js';

/** A link whose writes the test completes by hand and whose notifications it injects. */
function manualLink() {
  const listeners = new Map<NotifyName, (f: Uint8Array) => void>();
  const drops: Array<() => void> = [];
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const link: DeviceLink = {
    attPayload: 512,
    readInfo: () => Promise.resolve(new Uint8Array([1])),
    write: () => new Promise<void>((resolve, reject) => { pending.push({ resolve, reject }); }),
    onFrame: (n, l) => { listeners.set(n, l); },
    onDrop: (l) => { drops.push(l); },
    close: () => Promise.resolve(),
  };
  return { link, pending, notify: (n: NotifyName, b: number) => listeners.get(n)!(new Uint8Array([b])), drop: () => drops.forEach((d) => d()) };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('orderedLink', () => {
  it('holds notifications that overtake an in-flight write until the writer has continued', async () => {
    const m = manualLink();
    const link = orderedLink(m.link);
    const log: string[] = [];
    link.onFrame('status', (f) => log.push(`status ${f[0]}`));
    link.onDrop(() => log.push('drop'));
    const writer = (async () => {
      await link.write('session', new Uint8Array([9]));
      await Promise.resolve();
      log.push('keys installed');
    })();
    m.notify('status', 1);
    m.notify('status', 2);
    m.drop();
    expect(log).toEqual([]);
    m.pending[0]!.resolve();
    await writer;
    await tick();
    expect(log).toEqual(['keys installed', 'status 1', 'status 2', 'drop']);
  });

  it('delivers frames of one batch one per task, so what the first one starts runs before the second', async () => {
    const m = manualLink();
    const link = orderedLink(m.link);
    const log: string[] = [];
    // As DeviceSession: the session frame wakes a waiter whose continuation installs the keys.
    link.onFrame('session', () => { void Promise.resolve().then(() => log.push('keys installed')); });
    link.onFrame('status', (f) => log.push(`status ${f[0]}`));
    m.notify('session', 0);
    m.notify('status', 1);
    expect(log).toEqual([]);
    await tick();
    expect(log).toEqual(['keys installed', 'status 1']);
  });

  it('delivers with nothing in flight, and after a failed write too', async () => {
    const m = manualLink();
    const link = orderedLink(m.link);
    const log: string[] = [];
    link.onFrame('scan', (f) => log.push(`scan ${f[0]}`));
    m.notify('scan', 1);
    await tick();
    expect(log).toEqual(['scan 1']);
    const failed = link.write('control', new Uint8Array([0])).catch(() => log.push('write failed'));
    m.notify('scan', 2);
    m.pending[0]!.reject(new Error('gone'));
    await failed;
    await tick();
    expect(log).toEqual(['scan 1', 'write failed', 'scan 2']);
  });
});
