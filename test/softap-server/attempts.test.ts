/**
 * One attempt limiter for both transports: a wrong setup code over BLE (the same GattConnection
 * the BLE server runs, on an in-memory link) and over HTTP count in the same state, so a guesser
 * cannot switch transport to get more tries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSession } from '../../central/engine/device-session.js';
import type { DeviceLink, NotifyName } from '../../central/engine/device-link.js';
import { GattConnection } from '../../peripheral/engine/connection.js';
import { buildInfo } from '../../peripheral/engine/info.js';
import { systemTimers } from '../../peripheral/system/index.js';
import { encodeMessage } from '../../protocol/codec.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  MemoryAttemptStore,
} from '../../protocol/session/index.js';
import { connectHttp } from '../../softap-fallback/client/http-link.js';
import { CLIENT, raw, random, startSoftApFixture } from './fixture.js';
import type { SoftApFixture } from './fixture.js';

/** The BLE server's per-phone connection without bleno: frames in and out in memory. */
function bleLink(fx: SoftApFixture): DeviceLink {
  const listeners = new Map<NotifyName, Array<(f: Uint8Array) => void>>();
  const drops: Array<() => void> = [];
  const conn = new GattConnection({
    agent: fx.device.agent,
    verifier: fx.verifier,
    attempts: fx.attempts,
    random,
    now: Date.now,
    timers: systemTimers,
    info: encodeMessage(buildInfo({ deviceId: fx.deviceId, state: fx.device.agent.state })),
    idleTimeoutMs: 60_000,
    attPayload: 512,
    transport: 'ble',
    disconnect: () => {
      for (const d of drops.splice(0)) d();
    },
  });
  for (const n of ['session', 'status', 'scan'] as const)
    conn.subscribe(n, (f) => {
      for (const l of listeners.get(n) ?? []) l(f);
    });
  return {
    attPayload: 512,
    readInfo: () => Promise.resolve(conn.readInfo(0)),
    write: (name, frame) => conn.write(name, frame),
    onFrame: (n, l) => listeners.set(n, [...(listeners.get(n) ?? []), l]),
    onDrop: (l) => drops.push(l),
    close: () => Promise.resolve(conn.close()),
  };
}

describe('the attempt limiter shared by BLE and SoftAP', () => {
  let fx: SoftApFixture;
  const now = 5_000_000;
  beforeAll(async () => {
    // One free failure, then a minute's lock-out.
    const attempts = new AttemptLimiter(new MemoryAttemptStore(), () => now, {
      freeFailures: 1,
      baseLockoutMs: 60_000,
      maxLockoutMs: 3_600_000,
    });
    fx = await startSoftApFixture({ attempts, now: () => now });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('a wrong code over BLE locks the HTTP side out: 429 SESSION_LOCKED_OUT with Retry-After', async () => {
    const wrong = formatSetupCode(generateSetupCode(random));
    const ble = bleLink(fx);
    await expect(new DeviceSession(ble, { now: Date.now, random }).handshake(wrong, fx.deviceId)).rejects.toMatchObject(
      { code: 'SESSION_AUTH_FAILED' },
    );
    await ble.close();
    expect(fx.attempts.state.failures).toBe(1);
    expect(fx.attempts.check().locked).toBe(true);

    const r = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT);
    expect(r.status).toBe(429);
    expect(r.json()).toMatchObject({ error: { code: 'SESSION_LOCKED_OUT', retryAfterS: 60 } });
    expect(r.headers['retry-after']).toBe('60');
    // Even the right code gets nowhere while locked.
    await expect(connectHttp(fx.server.url)).rejects.toMatchObject({ code: 'SESSION_LOCKED_OUT' });
    expect(fx.device.agent.busy).toBe(false);
  });

  it('a connection opened before the lock-out still gets SESSION_LOCKED_OUT from the handshake, like BLE', async () => {
    fx.attempts.recordSuccess();
    const link = await connectHttp(fx.server.url);
    fx.attempts.recordFailure();
    await expect(
      new DeviceSession(link, { now: Date.now, random }).handshake(fx.setupCode, fx.deviceId),
    ).rejects.toMatchObject({ code: 'SESSION_LOCKED_OUT' });
    await link.close();
  });

  it('a phone holding the device over BLE keeps HTTP phones out with DEVICE_BUSY', async () => {
    fx.attempts.recordSuccess();
    const ble = bleLink(fx);
    const session = new DeviceSession(ble, { now: Date.now, random });
    await session.handshake(fx.setupCode, fx.deviceId);
    expect(fx.device.agent.busy).toBe(true);
    await expect(connectHttp(fx.server.url)).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    expect(fx.server.connections()).toBe(0);
    await ble.close();
    expect(fx.device.agent.busy).toBe(false);
    const link = await connectHttp(fx.server.url);
    await new DeviceSession(link, { now: Date.now, random }).handshake(fx.setupCode, fx.deviceId);
    await link.close();
  });
});
