/**
 * The GATT server's lifecycle against a bleno that stops answering (its controller gone): every
 * wait is bounded, on a manual timer, so nothing here depends on the wall clock.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Bleno } from '../index.js';
import type { ProvisioningAgent } from '../../peripheral/agent/index.js';
import type { AttemptLimiter, SetupVerifier } from '../../protocol/session/index.js';
import { flush, ManualTimers } from '../../test/support/manual-timers.js';
import { POWER_ON_TIMEOUT_MS, SERVER_STOP_TIMEOUT_MS, STACK_CALL_TIMEOUT_MS } from '../../peripheral/engine/limits.js';
import { ProvisioningGattServer } from './server.js';

type Cb = (err?: Error | null) => void;

/** bleno's callback shape (one-shot listeners), with a switch for "the controller answers". */
class FakeBleno extends EventEmitter {
  state = 'poweredOn';
  answers = true;
  readonly calls: string[] = [];
  Characteristic = Object.assign(
    class {
      constructor(readonly o: object) {}
    },
    { RESULT_SUCCESS: 0, RESULT_ATTR_NOT_LONG: 0x0b, RESULT_UNLIKELY_ERROR: 0x0e, RESULT_INVALID_OFFSET: 0x07 },
  );
  PrimaryService = class {
    constructor(readonly o: object) {}
  };
  setServices(_s: unknown, cb: Cb): void {
    this.#call('setServices', 'servicesSet', cb);
  }
  startAdvertisingWithEIRData(_a: Buffer, _s: Buffer, cb: Cb): void {
    this.#call('startAdvertising', 'advertisingStart', cb);
  }
  stopAdvertising(cb: Cb): void {
    this.#call('stopAdvertising', 'advertisingStop', cb);
  }
  disconnect(): void {
    this.calls.push('disconnect');
  }
  #call(name: string, event: string, cb: Cb): void {
    this.calls.push(name);
    this.once(event, cb);
    if (this.answers) this.emit(event, null);
  }
}

function makeServer(bleno: FakeBleno, timers: ManualTimers, log: string[] = []): ProvisioningGattServer {
  const agent = { state: 'idle', busy: false, onStatus: () => () => undefined } as unknown as ProvisioningAgent;
  return new ProvisioningGattServer({
    bleno: bleno as unknown as Bleno,
    agent,
    verifier: { deviceId: 'pi-1' } as SetupVerifier,
    attempts: {} as AttemptLimiter,
    random: (n) => new Uint8Array(n),
    timers,
    log: (l) => log.push(l),
  });
}

/** Settles `p` into a flag, so a test can look at whether it finished without awaiting it. */
function track(p: Promise<unknown>): { done: boolean; error?: unknown } {
  const t: { done: boolean; error?: unknown } = { done: false };
  p.then(
    () => {
      t.done = true;
    },
    (err: unknown) => {
      t.done = true;
      t.error = err;
    },
  );
  return t;
}

describe('ProvisioningGattServer lifecycle with bounded waits', () => {
  it('starts and stops against a controller that answers, without waiting on the timer', async () => {
    const bleno = new FakeBleno();
    const timers = new ManualTimers();
    const server = makeServer(bleno, timers);
    await server.start();
    await server.stop();
    expect(bleno.calls).toEqual(['setServices', 'startAdvertising', 'stopAdvertising']);
    expect(timers.pending.size).toBe(0);
  });

  it('start fails with BLE_UNAVAILABLE when advertising is never confirmed, and leaves no listener behind', async () => {
    const bleno = new FakeBleno();
    const timers = new ManualTimers();
    const server = makeServer(bleno, timers);
    bleno.once('servicesSet', () => {
      bleno.answers = false;
    });
    const started = track(server.start());
    await flush();
    await timers.advanceTo(STACK_CALL_TIMEOUT_MS - 1);
    expect(started.done).toBe(false);
    await timers.advanceTo(STACK_CALL_TIMEOUT_MS);
    expect(started.done).toBe(true);
    expect((started.error as { code?: string }).code).toBe('BLE_UNAVAILABLE');
    expect(bleno.listenerCount('advertisingStart')).toBe(0);
  });

  it('start fails with BLE_UNAVAILABLE when setServices is never confirmed', async () => {
    const bleno = new FakeBleno();
    bleno.answers = false;
    const timers = new ManualTimers();
    const started = track(makeServer(bleno, timers).start());
    await flush();
    await timers.advanceTo(STACK_CALL_TIMEOUT_MS);
    expect((started.error as { code?: string }).code).toBe('BLE_UNAVAILABLE');
    expect(bleno.listenerCount('servicesSet')).toBe(0);
  });

  it('start fails with BLE_UNAVAILABLE when bleno never powers on', async () => {
    const bleno = new FakeBleno();
    bleno.state = 'poweredOff';
    const timers = new ManualTimers();
    const started = track(makeServer(bleno, timers).start());
    await flush();
    await timers.advanceTo(POWER_ON_TIMEOUT_MS - 1);
    expect(started.done).toBe(false);
    await timers.advanceTo(POWER_ON_TIMEOUT_MS);
    expect((started.error as { code?: string }).code).toBe('BLE_UNAVAILABLE');
    expect(bleno.listenerCount('stateChange')).toBe(0);
  });

  it('stop finishes within SERVER_STOP_TIMEOUT_MS when stopAdvertising is never confirmed', async () => {
    const bleno = new FakeBleno();
    const timers = new ManualTimers();
    const log: string[] = [];
    const server = makeServer(bleno, timers, log);
    await server.start();
    bleno.answers = false;
    const stopped = track(server.stop());
    await flush();
    expect(stopped.done).toBe(false);
    await timers.advanceTo(SERVER_STOP_TIMEOUT_MS);
    expect(stopped.done).toBe(true);
    expect(stopped.error).toBeUndefined();
    expect(bleno.calls.at(-1)).toBe('stopAdvertising');
    expect(log.join('\n')).toMatch(/did not confirm the stop|stopping advertising failed/);
  });

  it('stop finishes within SERVER_STOP_TIMEOUT_MS while an advertising refresh hangs on a dead controller', async () => {
    const bleno = new FakeBleno();
    const timers = new ManualTimers();
    const server = makeServer(bleno, timers);
    await server.start();
    bleno.answers = false;
    // A phone leaves: bleno reports the disconnect and the server advertises again; nothing answers.
    bleno.emit('accept', 'aa:bb:cc:dd:ee:ff');
    bleno.emit('disconnect', 'aa:bb:cc:dd:ee:ff');
    const stopped = track(server.stop());
    await flush();
    await timers.advanceTo(SERVER_STOP_TIMEOUT_MS);
    expect(stopped.done).toBe(true);
  });

  it('stop does not ask a controller that is gone (bleno poweredOff)', async () => {
    const bleno = new FakeBleno();
    const timers = new ManualTimers();
    const server = makeServer(bleno, timers);
    await server.start();
    bleno.state = 'poweredOff';
    bleno.answers = false;
    await server.stop();
    expect(bleno.calls).toEqual(['setServices', 'startAdvertising']);
  });

  it('stop({ controllerGone }) does not ask the controller even while bleno still says poweredOn', async () => {
    const bleno = new FakeBleno();
    const timers = new ManualTimers();
    const server = makeServer(bleno, timers);
    await server.start();
    bleno.answers = false;
    await server.stop({ controllerGone: true });
    expect(bleno.calls).toEqual(['setServices', 'startAdvertising']);
  });
});
