/**
 * BLE as a switch: `enable` loads bleno on the configured transport, waits for the controller to
 * power on (failing fast with BLE_UNAVAILABLE when it reports poweredOff/unsupported, or after
 * BLE_POWER_ON_TIMEOUT_MS) and starts a fresh ProvisioningGattServer; `disable` stops it.
 *
 * On an H4 transport a ControllerSupervisor (ble/peripheral/supervisor.ts) watches the controller
 * from the first load on: a lost controller is reported at once (`onController(false)`), the
 * running GATT server is torn down (bounded), the link is re-attached with back-off, and when bleno
 * powers on again the server is set up and advertises again — by itself if it was running when
 * the controller went, else when the owner (the fallback policy) enables BLE again.
 */
import { loadBleno, stackController } from '../../../ble/index.js';
import type { Bleno, ControllerLink } from '../../../ble/index.js';
import { isProvisioningError, ProvisioningError } from '../../../protocol/index.js';
import { ProvisioningGattServer, ControllerSupervisor } from '../../../ble/peripheral/index.js';
import type { GattServerOptions } from '../../../ble/peripheral/index.js';
import type { Timers } from '../../../protocol/index.js';
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
  /** Tests: the controller link to supervise (default: the loaded bleno's; none for hciN). */
  controllerLink?: () => ControllerLink | undefined;
}

/** What the device knows of its controller: `unknown` until bleno first reports. */
export type ControllerPresence = 'unknown' | 'present' | 'absent';

const DEAD_STATES = new Set(['poweredOff', 'unsupported', 'unauthorized']);

/**
 * bleno's bindings exit the process (code 1) on SIGINT when their handler is the last SIGINT
 * listener — which it is when bleno loads after the device installed its own (e.g. BLE enabled
 * only once the policy needs it): Ctrl-C would skip the device's bounded, clean stop. Handlers
 * added while bleno loaded go first instead, so the device's handler runs and stops the device;
 * a second Ctrl-C (the device's handler is `once`) still exits at once.
 */
function yieldSigint(before: Set<NodeJS.SignalsListener>): void {
  for (const listener of process.listeners('SIGINT')) {
    if (before.has(listener)) continue;
    process.removeListener('SIGINT', listener);
    process.prependListener('SIGINT', listener);
  }
}

function blenoState(bleno: Bleno): string {
  const b = bleno as unknown as { state?: string; _state?: string };
  return b.state ?? b._state ?? 'unknown';
}

export class BleTransport implements BleSwitch {
  readonly #o: BleTransportOptions;
  #bleno: Bleno | undefined;
  #server: ProvisioningGattServer | undefined;
  #supervisor: ControllerSupervisor | undefined;
  #presence: ControllerPresence = 'unknown';
  /** The server ran when the controller went: start it again when the controller is back. */
  #restartOnReturn = false;
  /** Server starts and stops, one at a time. */
  #tail: Promise<void> = Promise.resolve();
  readonly #phone: ((connected: boolean) => void)[] = [];
  readonly #controller: ((present: boolean) => void)[] = [];

  constructor(options: BleTransportOptions) {
    this.#o = options;
  }

  /** The controller as last seen (for `device status`). */
  get controller(): ControllerPresence {
    return this.#presence;
  }

  onPhone(listener: (connected: boolean) => void): void {
    this.#phone.push(listener);
  }

  onController(listener: (present: boolean) => void): void {
    this.#controller.push(listener);
  }

  enable(): Promise<void> {
    this.#restartOnReturn = false;
    return this.#serialise(() => this.#start());
  }

  disable(): Promise<void> {
    this.#restartOnReturn = false;
    return this.#serialise(() => this.#stop());
  }

  /** Stops supervising the controller (device shutdown, after `disable`). */
  close(): void {
    this.#supervisor?.close();
  }

  #serialise(work: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(work);
    // The caller gets `run`'s failure; the queue only waits for it to settle.
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #start(): Promise<void> {
    if (this.#server) return;
    const bleno = this.#load();
    if (this.#presence === 'absent' && this.#supervisor?.state === 'lost') {
      throw new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `${this.#o.transport}: the controller is gone; re-attaching`,
      });
    }
    await this.#poweredOn(bleno);
    const server = new ProvisioningGattServer({ ...this.#o.server, bleno });
    this.#server = server;
    try {
      await server.start();
    } catch (err) {
      this.#server = undefined;
      await server
        .stop()
        .catch((e: unknown) =>
          this.#o.log(`ble: stopping the half-started GATT server failed: ${(e as Error).message}`),
        );
      // A stack call unanswered: ask the controller now rather than at the next probe.
      this.#supervisor?.checkNow();
      throw new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `${this.#o.transport}: the GATT server did not start`,
        cause: err,
      });
    }
    this.#o.log(`ble: advertising on ${this.#o.transport}`);
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await server.stop({ controllerGone: this.#presence === 'absent' });
    this.#o.log('ble: stopped');
  }

  #load(): Bleno {
    if (this.#bleno) return this.#bleno;
    const load = this.#o.loadBleno ?? ((t, mtu) => loadBleno(t, { maxMtu: mtu }));
    let bleno: Bleno;
    const sigintBefore = new Set(process.listeners('SIGINT'));
    try {
      bleno = load(this.#o.transport, this.#o.maxAttMtu);
    } catch (err) {
      if (isProvisioningError(err)) throw err;
      throw new ProvisioningError('BLE_UNAVAILABLE', { detail: this.#o.transport, cause: err });
    } finally {
      yieldSigint(sigintBefore);
    }
    this.#bleno = bleno;
    // Only while a server runs do phones matter; the controller matters always.
    bleno.on('accept', () => {
      if (this.#server) this.#emit(this.#phone, true);
    });
    bleno.on('disconnect', () => {
      if (this.#server) this.#emit(this.#phone, false);
    });
    bleno.on('stateChange', (state: string) => {
      if (state === 'poweredOn') this.#setPresence(true);
      else if (DEAD_STATES.has(state)) this.#setPresence(false);
    });
    const state = blenoState(bleno);
    if (state === 'poweredOn') this.#presence = 'present';
    else if (DEAD_STATES.has(state)) this.#presence = 'absent';
    this.#supervise();
    return bleno;
  }

  #supervise(): void {
    const link = (this.#o.controllerLink ?? (() => stackController('bleno')))();
    if (!link) return; // hciN: the kernel keeps the adapter; bleno sees it go down and up.
    const supervisor = new ControllerSupervisor({ link, timers: this.#o.timers, log: this.#o.log });
    // Told before bleno's own poll notices (up to a second later).
    supervisor.onChange((state) => {
      if (state === 'lost') this.#setPresence(false);
    });
    this.#supervisor = supervisor;
    supervisor.start();
  }

  #setPresence(present: boolean): void {
    const presence = present ? 'present' : 'absent';
    if (presence === this.#presence) return;
    this.#presence = presence;
    if (!present) {
      this.#o.log(`ble: unavailable (no controller on ${this.#o.transport})`);
      if (this.#server) this.#restartOnReturn = true;
      void this.#serialise(() => this.#stop());
    } else {
      this.#o.log(`ble: controller on ${this.#o.transport} powered on`);
      if (this.#restartOnReturn) {
        this.#restartOnReturn = false;
        void this.#serialise(() => this.#start()).catch((err: unknown) =>
          this.#o.log(`ble: restart failed (${(err as Error).message})`),
        );
      }
    }
    this.#emit(this.#controller, present);
  }

  #emit(listeners: ((value: boolean) => void)[], value: boolean): void {
    for (const l of listeners) {
      try {
        l(value);
      } catch (err) {
        this.#o.log(`ble: listener failed: ${(err as Error).message}`);
      }
    }
  }

  #poweredOn(bleno: Bleno): Promise<void> {
    const state = blenoState(bleno);
    if (state === 'poweredOn') return Promise.resolve();
    if (DEAD_STATES.has(state))
      return Promise.reject(
        new ProvisioningError('BLE_UNAVAILABLE', { detail: `${this.#o.transport}: controller is ${state}` }),
      );
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
        else if (DEAD_STATES.has(s))
          done(new ProvisioningError('BLE_UNAVAILABLE', { detail: `${this.#o.transport}: controller is ${s}` }));
      };
      const timer = timers.setTimeout(
        () =>
          done(
            new ProvisioningError('BLE_UNAVAILABLE', {
              detail: `${this.#o.transport}: the controller did not power on within ${BLE_POWER_ON_TIMEOUT_MS} ms`,
            }),
          ),
        BLE_POWER_ON_TIMEOUT_MS,
      );
      bleno.on('stateChange', onState);
    });
  }
}
