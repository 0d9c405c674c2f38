/**
 * One provisioning job at a time across transports. The BLE GATT server and the SoftAP HTTP server
 * both take the lock before handing a job to the agent; whoever comes second gets DEVICE_BUSY,
 * which travels to its phone like any other error. A lease can only release itself, so a late
 * release from a finished job never frees someone else's.
 */
import { ProvisioningError } from '../../protocol/index.js';
import type { Transport } from './types.js';

export interface JobLease {
  readonly transport: Transport;
  readonly id: number;
  /** Idempotent. */
  release(): void;
}

export type JobLockEvent = { type: 'jobStarted'; transport: Transport } | { type: 'jobEnded'; transport: Transport };

export interface JobLockOptions {
  /** Called synchronously on every acquire and release, e.g. to feed the fallback policy. */
  onChange?: (event: JobLockEvent) => void;
}

const TRANSPORT_NAMES: Record<Transport, string> = { ble: 'Bluetooth', softap: 'the setup Wi-Fi' };

export class JobLock {
  readonly #onChange: ((event: JobLockEvent) => void) | undefined;
  #current: JobLease | undefined;
  #nextId = 1;

  constructor(options: JobLockOptions = {}) {
    this.#onChange = options.onChange;
  }

  /** The transport holding the lock, if any. */
  get holder(): Transport | undefined {
    return this.#current?.transport;
  }

  /** Takes the lock or throws DEVICE_BUSY (also for a second job on the same transport). */
  acquire(transport: Transport): JobLease {
    if (transport !== 'ble' && transport !== 'softap')
      throw new ProvisioningError('CONFIG_INVALID', { detail: "transport: must be 'ble' or 'softap'" });
    if (this.#current !== undefined) {
      throw new ProvisioningError('DEVICE_BUSY', {
        detail: `another phone is provisioning this device over ${TRANSPORT_NAMES[this.#current.transport]}`,
      });
    }
    const id = this.#nextId++;
    const lease: JobLease = { transport, id, release: () => this.release(lease) };
    this.#current = lease;
    this.#onChange?.({ type: 'jobStarted', transport });
    return lease;
  }

  release(lease: JobLease): void {
    if (this.#current !== lease) return;
    this.#current = undefined;
    this.#onChange?.({ type: 'jobEnded', transport: lease.transport });
  }
}
