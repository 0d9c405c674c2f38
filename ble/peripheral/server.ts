/**
 * The provisioning GATT service on bleno (PROTOCOL.md §2-§3): the seven characteristics, the
 * advertisement (name + provisioning state in the scan response's service data), one phone at a
 * time (bleno serves one central; a phone arriving while SoftAP holds the agent gets DEVICE_BUSY),
 * and no provisioning advertisement once provisioned, until a factory reset.
 */
import {
  buildAdvertisement,
  encodeMessage,
  ProvisioningError,
  CHARACTERISTICS,
  MAX_ATT_PAYLOAD,
  MIN_ATT_PAYLOAD,
  SERVICE_UUID,
  compactUuid,
  DEVICE_WRITE_WINDOW,
} from '../../protocol/index.js';
import type { CharacteristicName, Clock } from '../../protocol/index.js';
import type { AttemptLimiter, RandomSource, SetupVerifier } from '../../protocol/session/index.js';
import type { Bleno } from '../index.js';
import type { ProvisioningAgent } from '../../peripheral/agent/index.js';
import { systemClock, systemTimers } from '../../peripheral/system/index.js';
import type { Timers } from '../../protocol/index.js';
import {
  GattConnection,
  buildInfo,
  DEFAULT_ATT_PAYLOAD,
  POWER_ON_TIMEOUT_MS,
  SERVER_STOP_TIMEOUT_MS,
  SESSION_IDLE_TIMEOUT_MS,
  STACK_CALL_TIMEOUT_MS,
} from '../../peripheral/engine/index.js';
import type { FramedName } from '../../peripheral/engine/index.js';
import { boundedStackCall, within } from './bounded.js';

export interface GattServerOptions {
  readonly bleno: Bleno;
  readonly agent: ProvisioningAgent;
  readonly verifier: SetupVerifier;
  readonly attempts: AttemptLimiter;
  readonly random: RandomSource;
  readonly now?: Clock;
  readonly timers?: Timers;
  readonly idleTimeoutMs?: number;
  readonly model?: string;
  readonly firmware?: string;
  readonly log?: (line: string) => void;
}

type ReadCallback = (result: number, data?: Buffer) => void;
type WriteCallback = (result: number) => void;

interface BlenoClasses {
  Characteristic: (new (o: object) => object) & {
    RESULT_SUCCESS: number;
    RESULT_ATTR_NOT_LONG: number;
    RESULT_UNLIKELY_ERROR: number;
    RESULT_INVALID_OFFSET: number;
  };
  PrimaryService: new (o: object) => object;
}

export class ProvisioningGattServer {
  private connection: GattConnection | undefined;
  private attPayload = DEFAULT_ATT_PAYLOAD;
  private advertising: Promise<void> = Promise.resolve();
  /** Why the last advertising step failed (cleared by the next success). */
  private advertisingFailure: Error | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly now: Clock;
  private readonly timers: Timers;
  private readonly deviceId: string;
  private readonly onAccept = (address: string): void => this.accept(address);
  private readonly onDisconnect = (address: string): void => this.disconnected(address);
  private readonly onMtu = (mtu: number): void => this.mtu(mtu);

  constructor(private readonly options: GattServerOptions) {
    this.now = options.now ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.deviceId = options.verifier.deviceId;
  }

  /** The current phone's connection, if any (tests and figures). */
  get current(): GattConnection | undefined {
    return this.connection;
  }

  /**
   * Sets the service up and advertises. Every wait on bleno is bounded (BLE_UNAVAILABLE when the
   * controller does not answer), so a dead controller fails `start` instead of hanging it.
   */
  async start(): Promise<void> {
    const { bleno } = this.options;
    await poweredOn(bleno, this.timers);
    bleno.on('accept', this.onAccept);
    bleno.on('disconnect', this.onDisconnect);
    bleno.on('mtuChange', this.onMtu);
    await boundedStackCall(this.timers, STACK_CALL_TIMEOUT_MS, 'setServices', bleno as never, 'servicesSet', (cb) =>
      bleno.setServices([this.service()] as never, cb),
    );
    this.unsubscribe = this.options.agent.onStatus(() => this.refreshAdvertising());
    this.refreshAdvertising();
    await this.advertising;
    if (this.advertisingFailure) throw this.advertisingFailure;
  }

  /**
   * Stops serving: drops the phone, stops advertising. Finishes within SERVER_STOP_TIMEOUT_MS
   * whatever the controller does; a controller known to be gone (`controllerGone`, or bleno not
   * poweredOn) is not asked at all.
   */
  async stop(options: { controllerGone?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    const { bleno } = this.options;
    bleno.removeListener('accept', this.onAccept);
    bleno.removeListener('disconnect', this.onDisconnect);
    bleno.removeListener('mtuChange', this.onMtu);
    this.connection?.close();
    this.connection = undefined;
    // A controller that is gone answers nothing, not even the advertising step in flight.
    if (options.controllerGone) return;
    const quiet = (async (): Promise<void> => {
      await this.advertising;
      if (blenoState(bleno) !== 'poweredOn') return;
      await boundedStackCall(
        this.timers,
        SERVER_STOP_TIMEOUT_MS,
        'stopAdvertising',
        bleno as never,
        'advertisingStop',
        (cb) => bleno.stopAdvertising(cb),
      );
    })().catch((err: unknown) => this.options.log?.(`ble: stopping advertising failed: ${(err as Error).message}`));
    if (!(await within(this.timers, SERVER_STOP_TIMEOUT_MS, quiet))) {
      this.options.log?.(
        `ble: the controller did not confirm the stop within ${SERVER_STOP_TIMEOUT_MS} ms; stopped without it`,
      );
    }
  }

  private service(): object {
    const B = this.options.bleno as unknown as BlenoClasses;
    const C = B.Characteristic;
    const char = (name: CharacteristicName): object => {
      const spec = CHARACTERISTICS[name];
      const properties: readonly string[] = spec.properties;
      const o: Record<string, unknown> = { uuid: compactUuid(spec.uuid), properties: [...spec.properties] };
      if (name === 'info') {
        o['onReadRequest'] = (offset: number, cb: ReadCallback) => this.read(cb, () => this.infoFor(offset));
      } else if (name === 'status') {
        o['onReadRequest'] = (offset: number, cb: ReadCallback) =>
          this.read(cb, () => this.connection?.readStatus(offset) ?? new Uint8Array(0));
      }
      if (name !== 'info' && properties.includes('notify')) {
        o['onSubscribe'] = (_max: number, update: (b: Buffer) => void) =>
          this.connection?.subscribe(name, (f) => update(Buffer.from(f)));
        o['onUnsubscribe'] = () => this.connection?.unsubscribe(name);
      }
      if (properties.includes('write')) {
        o['onWriteRequest'] = (data: Buffer, offset: number, withoutResponse: boolean, cb: WriteCallback) => {
          if (offset !== 0) return cb(C.RESULT_ATTR_NOT_LONG);
          const conn = this.connection;
          if (!conn) return cb(C.RESULT_UNLIKELY_ERROR);
          const kind = withoutResponse ? 'command' : 'request';
          // The write window (PROTOCOL.md §2.4): a Write Request is answered once every frame before
          // it is handled (bleno sends nothing for a Write Command's callback). Protocol errors travel
          // as status notifications; the ATT write itself succeeds.
          void conn.receive(name as FramedName, new Uint8Array(data), kind, () => cb(C.RESULT_SUCCESS));
        };
      }
      return new C(o);
    };
    return new B.PrimaryService({
      uuid: compactUuid(SERVICE_UUID),
      characteristics: (['info', 'session', 'wifi', 'claim', 'control', 'status', 'scan'] as const).map(char),
    });
  }

  private read(cb: ReadCallback, value: () => Uint8Array): void {
    const C = (this.options.bleno as unknown as BlenoClasses).Characteristic;
    try {
      cb(C.RESULT_SUCCESS, Buffer.from(value()));
    } catch {
      cb(C.RESULT_UNLIKELY_ERROR);
    }
  }

  private infoBytes(): Uint8Array {
    const { model, firmware } = this.options;
    return encodeMessage(
      buildInfo({
        deviceId: this.deviceId,
        writeWindow: DEVICE_WRITE_WINDOW,
        state: this.options.agent.state,
        ...(model !== undefined ? { model } : {}),
        ...(firmware !== undefined ? { firmware } : {}),
      }),
    );
  }

  private infoFor(offset: number): Uint8Array {
    return this.connection ? this.connection.readInfo(offset) : this.infoBytes().subarray(offset);
  }

  private accept(address: string): void {
    this.connection?.close();
    this.attPayload = DEFAULT_ATT_PAYLOAD;
    const log = this.options.log;
    log?.(`ble: phone ${address} connected`);
    this.connection = new GattConnection({
      agent: this.options.agent,
      verifier: this.options.verifier,
      attempts: this.options.attempts,
      // Snapshot: the bytes the phone reads are the bytes the handshake binds.
      info: this.infoBytes(),
      random: this.options.random,
      now: this.now,
      timers: this.timers,
      idleTimeoutMs: this.options.idleTimeoutMs ?? SESSION_IDLE_TIMEOUT_MS,
      attPayload: this.attPayload,
      disconnect: () => this.options.bleno.disconnect(),
      writeWindow: DEVICE_WRITE_WINDOW,
      ...(log ? { log } : {}),
    });
  }

  private disconnected(address: string): void {
    this.options.log?.(`ble: phone ${address} disconnected`);
    this.connection?.close();
    this.connection = undefined;
    this.refreshAdvertising();
  }

  private mtu(mtu: number): void {
    this.attPayload = Math.max(MIN_ATT_PAYLOAD, Math.min(MAX_ATT_PAYLOAD, mtu - 3));
    this.connection?.setAttPayload(this.attPayload);
  }

  /** Advertises the current state; stops advertising once provisioned (until a reset). Each step is bounded. */
  private refreshAdvertising(): void {
    if (this.connection || this.stopped) return;
    const { bleno, agent } = this.options;
    const step = async (): Promise<void> => {
      if (this.connection || this.stopped) return;
      if (agent.state === 'provisioned') {
        await boundedStackCall(
          this.timers,
          STACK_CALL_TIMEOUT_MS,
          'stopAdvertising',
          bleno as never,
          'advertisingStop',
          (cb) => bleno.stopAdvertising(cb),
        );
        return;
      }
      const { advertisingData, scanResponse } = buildAdvertisement({
        deviceId: this.deviceId,
        state: agent.state,
        sessionActive: agent.busy,
      });
      await boundedStackCall(
        this.timers,
        STACK_CALL_TIMEOUT_MS,
        'startAdvertising',
        bleno as never,
        'advertisingStart',
        (cb) => bleno.startAdvertisingWithEIRData(Buffer.from(advertisingData), Buffer.from(scanResponse), cb),
      );
    };
    this.advertising = this.advertising.then(step).then(
      () => {
        this.advertisingFailure = undefined;
      },
      (err: unknown) => {
        this.advertisingFailure = err as Error;
        this.options.log?.(`ble: advertising failed: ${(err as Error).message}`);
      },
    );
  }
}

function blenoState(bleno: Bleno): string | undefined {
  const b = bleno as unknown as { state?: string; _state?: string };
  return b.state ?? b._state;
}

function poweredOn(bleno: Bleno, timers: Timers): Promise<void> {
  if (blenoState(bleno) === 'poweredOn') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = timers.setTimeout(() => {
      bleno.removeListener('stateChange', onState);
      reject(
        new ProvisioningError('BLE_UNAVAILABLE', { detail: `bleno did not power on within ${POWER_ON_TIMEOUT_MS} ms` }),
      );
    }, POWER_ON_TIMEOUT_MS);
    const onState = (state: string): void => {
      if (state !== 'poweredOn') return;
      timers.clearTimeout(timer);
      bleno.removeListener('stateChange', onState);
      resolve();
    };
    bleno.on('stateChange', onState);
  });
}
