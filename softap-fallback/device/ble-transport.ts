/**
 * BLE as a switch: `enable` loads bleno on the configured transport, waits for the controller to
 * power on (failing fast with BLE_UNAVAILABLE when it reports poweredOff/unsupported, or after
 * BLE_POWER_ON_TIMEOUT_MS) and starts a fresh ProvisioningGattServer; `disable` stops it.
 */
import { loadBleno } from '../../ble/index.js';
import type { Bleno } from '../../ble/index.js';
import { isProvisioningError, ProvisioningError } from '../../protocol/errors.js';
import { ProvisioningGattServer } from '../../peripheral/gatt/index.js';
import type { GattServerOptions } from '../../peripheral/gatt/server.js';
import type { Timers } from '../../peripheral/gatt/timers.js';
import { BLE_POWER_ON_TIMEOUT_MS } from './limits.js';
import type { BleSwitch } from './transports.js';

export interface BleTransportOptions {
  /** HCI transport spec (ble/README.md). */
  transport: string;
  maxAttMtu: number;
  /** Everything of the GATT server but bleno. */
  server: Omit<GattServerOptions, 'bleno'>;
  timers: Timers;
  log: (line: string) => void;
  /** Tests: load bleno differently. */
  loadBleno?: (transport: string, maxAttMtu: number) => Bleno;
}

const DEAD_STATES = new Set(['poweredOff', 'unsupported', 'unauthorized']);

function blenoState(bleno: Bleno): string {
  const b = bleno as unknown as { state?: string; _state?: string };
  return b.state ?? b._state ?? 'unknown';
}

export class BleTransport implements BleSwitch {
  readonly #o: BleTransportOptions;
  #bleno: Bleno | undefined;
  #server: ProvisioningGattServer | undefined;
  readonly #phone: ((connected: boolean) => void)[] = [];
  readonly #controller: ((present: boolean) => void)[] = [];

  constructor(options: BleTransportOptions) {
    this.#o = options;
  }

  onPhone(listener: (connected: boolean) => void): void {
    this.#phone.push(listener);
  }

  onController(listener: (present: boolean) => void): void {
    this.#controller.push(listener);
  }

  async enable(): Promise<void> {
    if (this.#server) return;
    const bleno = this.#load();
    await this.#poweredOn(bleno);
    const server = new ProvisioningGattServer({ ...this.#o.server, bleno });
    this.#server = server;
    try {
      await server.start();
    } catch (err) {
      this.#server = undefined;
      await server.stop().catch(() => undefined);
      throw new ProvisioningError('BLE_UNAVAILABLE', { detail: `${this.#o.transport}: the GATT server did not start`, cause: err });
    }
    this.#o.log(`ble: advertising on ${this.#o.transport}`);
  }

  async disable(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await server.stop();
    this.#o.log('ble: stopped');
  }

  #load(): Bleno {
    if (this.#bleno) return this.#bleno;
    const load = this.#o.loadBleno ?? ((t, mtu) => loadBleno(t, { maxMtu: mtu }));
    let bleno: Bleno;
    try {
      bleno = load(this.#o.transport, this.#o.maxAttMtu);
    } catch (err) {
      if (isProvisioningError(err)) throw err;
      throw new ProvisioningError('BLE_UNAVAILABLE', { detail: this.#o.transport, cause: err });
    }
    this.#bleno = bleno;
    // Only while a server runs do phones matter; the controller matters always.
    bleno.on('accept', () => { if (this.#server) this.#emit(this.#phone, true); });
    bleno.on('disconnect', () => { if (this.#server) this.#emit(this.#phone, false); });
    let last = blenoState(bleno);
    bleno.on('stateChange', (state: string) => {
      const present = state === 'poweredOn';
      const was = last === 'poweredOn';
      last = state;
      if (present !== was && (present || DEAD_STATES.has(state))) this.#emit(this.#controller, present);
    });
    return bleno;
  }

  #emit(listeners: ((value: boolean) => void)[], value: boolean): void {
    for (const l of listeners) {
      try { l(value); } catch (err) { this.#o.log(`ble: listener failed: ${(err as Error).message}`); }
    }
  }

  #poweredOn(bleno: Bleno): Promise<void> {
    const state = blenoState(bleno);
    if (state === 'poweredOn') return Promise.resolve();
    if (DEAD_STATES.has(state)) return Promise.reject(new ProvisioningError('BLE_UNAVAILABLE', { detail: `${this.#o.transport}: controller is ${state}` }));
    const { timers } = this.#o;
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        timers.clearTimeout(timer);
        bleno.removeListener('stateChange', onState);
        if (err) reject(err);
        else resolve();
      };
      const onState = (s: string): void => {
        if (s === 'poweredOn') done();
        else if (DEAD_STATES.has(s)) done(new ProvisioningError('BLE_UNAVAILABLE', { detail: `${this.#o.transport}: controller is ${s}` }));
      };
      const timer = timers.setTimeout(() => done(new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `${this.#o.transport}: the controller did not power on within ${BLE_POWER_ON_TIMEOUT_MS} ms`,
      })), BLE_POWER_ON_TIMEOUT_MS);
      bleno.on('stateChange', onState);
    });
  }
}
