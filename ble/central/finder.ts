import type { Peripheral } from '@abandonware/noble';
import type { Noble } from '../index.js';
import { ProvisioningError, SERVICE_UUID, compactUuid } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';
import { FIND_TIMEOUT_MS, systemTimers } from '../../central/engine/index.js';
import { foundDevice, nameMatches, poweredOn } from './scanner.js';

interface Waiter {
  deviceId: string;
  resolve(p: Peripheral): void;
}

/**
 * Finds devices for several provisioning jobs at once: noble has one scan for the whole adapter,
 * so one scan runs while anybody is waiting and each advertisement is offered to the waiters.
 */
export class DeviceFinder {
  private readonly waiters = new Set<Waiter>();
  private scanning = false;
  private readonly onDiscover = (p: Peripheral): void => {
    const d = foundDevice(p);
    if (!d) return;
    for (const w of this.waiters) {
      if (nameMatches(d, w.deviceId)) {
        this.waiters.delete(w);
        w.resolve(p);
      }
    }
    this.update();
  };

  constructor(
    private readonly noble: Noble,
    private readonly timers: Timers = systemTimers,
  ) {}

  async find(deviceId: string, timeoutMs = FIND_TIMEOUT_MS): Promise<Peripheral> {
    await poweredOn(this.noble, this.timers);
    return new Promise<Peripheral>((resolve, reject) => {
      const handle = this.timers.setTimeout(() => {
        this.waiters.delete(waiter);
        this.update();
        reject(
          new ProvisioningError('DEVICE_NOT_FOUND', { detail: `${deviceId} did not advertise within ${timeoutMs} ms` }),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        deviceId,
        resolve: (p) => {
          this.timers.clearTimeout(handle);
          resolve(p);
        },
      };
      this.waiters.add(waiter);
      this.update();
    });
  }

  /** Starts the scan when somebody waits, stops it when nobody does. */
  private update(): void {
    if (this.waiters.size > 0 && !this.scanning) {
      this.scanning = true;
      this.noble.on('discover', this.onDiscover);
      this.noble.startScanning([compactUuid(SERVICE_UUID)], true);
    } else if (this.waiters.size === 0 && this.scanning) {
      this.scanning = false;
      this.noble.removeListener('discover', this.onDiscover);
      this.noble.stopScanning();
    }
  }
}
