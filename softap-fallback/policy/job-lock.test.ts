import { describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import { JobLock, type JobLockEvent } from './job-lock.js';

describe('JobLock', () => {
  it('gives DEVICE_BUSY to the other transport and to a second job on the same one', () => {
    const events: JobLockEvent[] = [];
    const lock = new JobLock({ onChange: (e) => events.push(e) });
    const lease = lock.acquire('ble');
    expect(lock.holder).toBe('ble');
    for (const transport of ['softap', 'ble'] as const) {
      let err: unknown;
      try {
        lock.acquire(transport);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProvisioningError);
      expect((err as ProvisioningError).code).toBe('DEVICE_BUSY');
      expect((err as ProvisioningError).detail).toBe('another phone is provisioning this device over Bluetooth');
    }
    lease.release();
    expect(lock.holder).toBeUndefined();
    expect(lock.acquire('softap').transport).toBe('softap');
    expect(events).toEqual([
      { type: 'jobStarted', transport: 'ble' },
      { type: 'jobEnded', transport: 'ble' },
      { type: 'jobStarted', transport: 'softap' },
    ]);
  });

  it('ignores a stale or repeated release', () => {
    const lock = new JobLock();
    const first = lock.acquire('softap');
    first.release();
    const second = lock.acquire('ble');
    first.release();
    lock.release(first);
    expect(lock.holder).toBe('ble');
    second.release();
    second.release();
    expect(lock.holder).toBeUndefined();
  });

  it('refuses an unknown transport', () => {
    expect(() => new JobLock().acquire('usb' as 'ble')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
