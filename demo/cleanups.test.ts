import { describe, expect, it } from 'vitest';
import { Cleanups } from './cleanups.js';

describe('Cleanups', () => {
  it('stops in reverse order, logs a part that fails to stop and still stops the others', async () => {
    const log: string[] = [];
    const stopped: string[] = [];
    const cleanups = new Cleanups((line) => log.push(line));
    cleanups.add('the temp dir', () => void stopped.push('dir'));
    cleanups.add('the cloud emulator', () => Promise.reject(new Error('port still bound')));
    cleanups.add('the air server', () => void stopped.push('air'));
    await cleanups.stopAll();
    expect(stopped).toEqual(['air', 'dir']);
    expect(log).toEqual(['cleanup of the cloud emulator failed: port still bound']);
  });

  it('stops a part added after the stop at once, and logs it when that fails', async () => {
    const log: string[] = [];
    let logged: () => void = () => undefined;
    const cleanups = new Cleanups((line) => {
      log.push(line);
      logged();
    });
    await cleanups.stopAll();
    await new Promise<void>((resolve) => cleanups.add('device process pi-1', resolve));
    const failure = new Promise<void>((resolve) => (logged = resolve));
    cleanups.add('device process pi-2', () => {
      throw new Error('no such process');
    });
    await failure;
    expect(log).toEqual(['cleanup of device process pi-2 failed: no such process']);
  });
});
