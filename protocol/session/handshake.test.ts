import { describe, expect, it } from 'vitest';
import {
  DEVICE_ID,
  FakeClock,
  INFO,
  initiator,
  makeDevice,
  pump,
  responder,
  seededRandom,
} from '../../test/session/harness.js';
import { utf8 } from './bytes.js';
import { MemoryAttemptStore } from './attempts.js';
import { SessionLockedOutError } from './handshake.js';
import { decodeHandshake, MSG_ERROR } from './messages.js';
import { formatSetupCode, generateSetupCode } from './setup-code.js';

const dev = makeDevice();

describe('session handshake', () => {
  it('establishes a session and carries sealed messages both ways', () => {
    const { device, limiter } = responder({ verifier: dev.verifier });
    const x = pump(initiator({ setupCode: formatSetupCode(dev.code).toLowerCase() }), device);
    expect(x.messages.map((m) => `${m.from}:${decodeHandshake(m.bytes).type}`)).toEqual([
      'phone:1',
      'device:2',
      'phone:3',
      'device:4',
      'phone:5',
      'device:6',
    ]);
    expect(x.phone?.status).toBe('established');
    expect(x.device?.status).toBe('established');
    const phone = x.phoneChannel!;
    const device2 = x.deviceChannel!;
    const wifi = utf8('{"ssid":"home","psk":"hunter22"}');
    expect(device2.open(3, phone.seal(3, wifi))).toEqual(wifi);
    expect(phone.open(5, device2.seal(5, utf8('status ok')))).toEqual(utf8('status ok'));
    expect(device2.open(3, phone.seal(3, new Uint8Array(0)))).toEqual(new Uint8Array(0));
    expect(limiter.state.failures).toBe(0);
  });

  it('is reproducible: the same randomness gives the same bytes on the wire', () => {
    const a = pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier }).device);
    const b = pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier }).device);
    expect(a.messages.map((m) => m.bytes)).toEqual(b.messages.map((m) => m.bytes));
  });

  it('a wrong code fails on both sides with SESSION_AUTH_FAILED and counts one failure', () => {
    const other = generateSetupCode(seededRandom('another code'));
    const { device, limiter } = responder({ verifier: dev.verifier });
    const x = pump(initiator({ setupCode: other }), device);
    expect(x.phone?.status).toBe('failed');
    expect(x.device?.status).toBe('failed');
    if (x.phone?.status !== 'failed' || x.device?.status !== 'failed') throw new Error('unreachable');
    expect(x.phone.error.code).toBe('SESSION_AUTH_FAILED');
    expect(x.device.error.code).toBe('SESSION_AUTH_FAILED');
    // Neither side says which side was wrong: the messages are identical in form.
    expect(x.phone.error.message).toBe(x.device.error.message.replace(': reported by the peer', ''));
    expect(limiter.state.failures).toBe(1);
  });

  it('a phone that gives up after the reply still costs an attempt', () => {
    const { device, limiter } = responder({ verifier: dev.verifier });
    const phone = initiator({ setupCode: dev.code });
    const params = device.receive(phone.start());
    const share = phone.receive(params.reply!);
    const reply = device.receive(share.reply!);
    expect(reply.status).toBe('continue');
    expect(limiter.state.failures).toBe(1); // counted before cB left the device; the phone walks away here
  });

  it('detects a swapped device or another info document with SESSION_TRANSCRIPT_MISMATCH on both sides', () => {
    for (const opts of [
      { deviceId: 'pi-garage' },
      { info: utf8('{"v":1,"name":"pi-kitchen","transports":["ble"]}') },
    ]) {
      const { device, limiter } = responder({ verifier: dev.verifier });
      const x = pump(initiator({ setupCode: dev.code, ...opts }), device);
      expect(x.device?.status === 'failed' && x.device.error.code).toBe('SESSION_TRANSCRIPT_MISMATCH');
      expect(x.phone?.status === 'failed' && x.phone.error.code).toBe('SESSION_TRANSCRIPT_MISMATCH');
      expect(limiter.state.failures).toBe(0); // refused before any PAKE work: no guess was possible
    }
  });

  it('refuses another protocol version (downgrade) with VERSION_UNSUPPORTED', () => {
    const x = pump(initiator({ setupCode: dev.code, version: 0 }), responder({ verifier: dev.verifier }).device);
    expect(x.phone?.status === 'failed' && x.phone.error.code).toBe('VERSION_UNSUPPORTED');
  });

  it('locks out after the free failures with a growing back-off, and says so with retry-after', () => {
    const store = new MemoryAttemptStore();
    const clock = new FakeClock();
    const wrong = generateSetupCode(seededRandom('wrong'));
    for (let i = 0; i < 5; i++) {
      const x = pump(initiator({ setupCode: wrong }), responder({ verifier: dev.verifier, store, clock }).device);
      expect(x.phone?.status === 'failed' && x.phone.error.code).toBe('SESSION_AUTH_FAILED');
    }
    const locked = pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier, store, clock }).device);
    expect(locked.messages).toHaveLength(2); // hello, error: no PAKE work while locked
    expect(decodeHandshake(locked.messages[1]!.bytes)).toMatchObject({
      type: MSG_ERROR,
      wire: 0x0204,
      retryAfterMs: 60_000,
    });
    const err = locked.phone?.status === 'failed' ? locked.phone.error : undefined;
    expect(err).toBeInstanceOf(SessionLockedOutError);
    expect(err).toMatchObject({ code: 'SESSION_LOCKED_OUT', retryAfterMs: 60_000 });
    clock.advance(60_000);
    pump(initiator({ setupCode: wrong }), responder({ verifier: dev.verifier, store, clock }).device);
    const again = pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier, store, clock }).device);
    expect(again.phone?.status === 'failed' && again.phone.error).toMatchObject({
      code: 'SESSION_LOCKED_OUT',
      retryAfterMs: 120_000,
    });
    clock.advance(120_000);
    const ok = pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier, store, clock }).device);
    expect(ok.phone?.status).toBe('established');
    expect(store.load()).toEqual({ failures: 0, lockedUntilMs: 0 });
  });

  it('times out a handshake that takes too long', () => {
    const clock = new FakeClock();
    const { device } = responder({ verifier: dev.verifier, clock });
    const phone = initiator({ setupCode: dev.code });
    const params = device.receive(phone.start());
    clock.advance(60_001);
    const r = device.receive(phone.receive(params.reply!).reply!);
    expect(r.status === 'failed' && r.error.code).toBe('SESSION_TIMEOUT');
  });

  it('rejects messages out of sequence and anything after the end', () => {
    const { device } = responder({ verifier: dev.verifier });
    const phone = initiator({ setupCode: dev.code });
    const hello = phone.start();
    const params = device.receive(hello);
    const r = device.receive(hello);
    expect(r.status === 'failed' && r.error.code).toBe('SESSION_HANDSHAKE_INVALID');
    const after = device.receive(hello);
    expect(after.status === 'failed' && after.error.code).toBe('SESSION_CLOSED');
    expect(phone.receive(params.reply!).status).toBe('continue');
  });

  it('validates the typed code before any handshake', () => {
    const typo = dev.code.slice(0, 3) + (dev.code[3] === 'A' ? 'B' : 'A') + dev.code.slice(4);
    expect(() => initiator({ setupCode: typo })).toThrow(
      expect.objectContaining({ code: 'SESSION_SETUP_CODE_INVALID' }),
    );
    expect(() => initiator({ setupCode: dev.code, deviceId: 'bad id!' })).toThrow(
      expect.objectContaining({ code: 'SESSION_SETUP_CODE_INVALID' }),
    );
    expect(DEVICE_ID).toBe(dev.verifier.deviceId);
    expect(INFO.length).toBeGreaterThan(0);
  });

  it('does not send its confirmation when the attempt count cannot be persisted', () => {
    const store = new MemoryAttemptStore();
    const broken = {
      load: () => store.load(),
      save: () => {
        throw new Error('disk full');
      },
    };
    const { device } = responder({ verifier: dev.verifier, store: broken });
    const x = pump(initiator({ setupCode: dev.code }), device);
    expect(x.messages.map((m) => decodeHandshake(m.bytes).type)).toEqual([1, 2, 3, MSG_ERROR]);
    expect(x.device?.status === 'failed' && x.device.error.code).toBe('STORAGE_FAILED');
    expect(x.phone?.status === 'failed' && x.phone.error.code).toBe('STORAGE_FAILED');
  });
});
