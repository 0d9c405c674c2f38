/**
 * A recorded session (handshake + sealed messages both ways) under attack: every single-bit flip in
 * every byte position, and replays against fresh sessions.
 */
import { describe, expect, it } from 'vitest';
import { textMatching } from '../matchers.js';
import { utf8 } from '../../protocol/session/bytes.js';
import type { SecureChannel } from '../../protocol/session/channel.js';
import { initiator, makeDevice, pump, responder, seededRandom } from './harness.js';

const dev = makeDevice('recorded');
const WIFI = 3;
const STATUS = 5;
/** The exhaustive cases run one full handshake per byte position (hundreds): CPU-bound, slow on a loaded machine. */
const EXHAUSTIVE_TIMEOUT_MS = 180_000;

/** The deterministic session everyone here replays: same randomness, same bytes. */
function session(tamper?: (i: number, b: Uint8Array) => Uint8Array, phoneSeed = 'phone-x', deviceSeed = 'device-y') {
  return pump(
    initiator({ setupCode: dev.code, random: seededRandom(phoneSeed) }),
    responder({ verifier: dev.verifier, random: seededRandom(deviceSeed) }).device,
    tamper,
  );
}

interface Sealed {
  from: 'phone' | 'device';
  channel: number;
  bytes: Uint8Array;
  plain: Uint8Array;
}

function converse(phone: SecureChannel, device: SecureChannel): Sealed[] {
  const script: [Sealed['from'], number, string][] = [
    ['phone', WIFI, '{"ssid":"home","psk":"correct horse"}'],
    ['device', STATUS, '{"state":"joining"}'],
    ['phone', WIFI, '{"claim":"..."}'],
  ];
  return script.map(([from, channel, text]) => {
    const plain = utf8(text);
    const bytes = (from === 'phone' ? phone : device).seal(channel, plain);
    expect((from === 'phone' ? device : phone).open(channel, bytes)).toEqual(plain);
    return { from, channel, bytes, plain };
  });
}

const recorded = session();
const recordedSealed = converse(recorded.phoneChannel!, recorded.deviceChannel!);

describe('a recorded session', () => {
  it('is a complete, reproducible session', () => {
    expect(recorded.phone?.status).toBe('established');
    expect(session().messages.map((m) => m.bytes)).toEqual(recorded.messages.map((m) => m.bytes));
  });

  it(
    'never establishes on the phone when any bit of any handshake message is flipped',
    () => {
      const last = recorded.messages.length - 1;
      let cases = 0;
      recorded.messages.forEach((m, index) => {
        for (let pos = 0; pos < m.bytes.length; pos++) {
          const x = session((i, b) => {
            if (i !== index) return b;
            const t = b.slice();
            t[pos] = t[pos]! ^ (1 << (pos % 8));
            return t;
          });
          cases++;
          expect(x.phone?.status, `message ${index} byte ${pos}`).not.toBe('established');
          if (index < last) expect(x.device?.status, `message ${index} byte ${pos}`).not.toBe('established');
          const failed = [x.phone, x.device].find((r) => r?.status === 'failed');
          expect(failed?.status === 'failed' && failed.error.code).toMatch(/^(SESSION_|VERSION_UNSUPPORTED)/);
        }
      });
      expect(cases).toBe(recorded.messages.reduce((n, m) => n + m.bytes.length, 0));
    },
    EXHAUSTIVE_TIMEOUT_MS,
  );

  it(
    'rejects any bit flip in every byte position of its sealed messages',
    () => {
      recordedSealed.forEach((s, index) => {
        for (let pos = 0; pos < s.bytes.length; pos++) {
          const x = session();
          const phone = x.phoneChannel!;
          const device = x.deviceChannel!;
          // Bring the fresh, identical session to the same point, then deliver the flipped message.
          for (const earlier of recordedSealed.slice(0, index))
            (earlier.from === 'phone' ? device : phone).open(earlier.channel, earlier.bytes);
          const t = s.bytes.slice();
          t[pos] = t[pos]! ^ (1 << (pos % 8));
          const receiver = s.from === 'phone' ? device : phone;
          expect(() => receiver.open(s.channel, t), `sealed ${index} byte ${pos}`).toThrow(
            expect.objectContaining({ code: textMatching(/^SESSION_(TAMPERED|TRUNCATED)$/) }),
          );
          expect(receiver.closed).toBe(true);
        }
      });
    },
    EXHAUSTIVE_TIMEOUT_MS,
  );

  it('replayed to a device with fresh randomness, fails authentication and opens nothing', () => {
    const { device, limiter } = responder({ verifier: dev.verifier, random: seededRandom('fresh device') });
    const phoneMessages = recorded.messages.filter((m) => m.from === 'phone');
    let last;
    for (const m of phoneMessages) {
      last = device.receive(m.bytes);
      if (last.status === 'failed') break;
    }
    expect(last?.status === 'failed' && last.error.code).toBe('SESSION_AUTH_FAILED');
    expect(limiter.state.failures).toBe(1);
  });

  it('replayed to a phone with fresh randomness (a fake device), fails authentication', () => {
    const phone = initiator({ setupCode: dev.code, random: seededRandom('fresh phone') });
    phone.start();
    const deviceMessages = recorded.messages.filter((m) => m.from === 'device');
    let last;
    for (const m of deviceMessages) {
      last = phone.receive(m.bytes);
      if (last.status === 'failed') break;
    }
    expect(last?.status === 'failed' && last.error.code).toBe('SESSION_AUTH_FAILED');
  });

  it('its sealed messages are rejected by a new session with fresh randomness', () => {
    const fresh = session(undefined, 'phone again', 'device again');
    expect(fresh.phone?.status).toBe('established');
    const first = recordedSealed[0]!;
    expect(() => fresh.deviceChannel!.open(first.channel, first.bytes)).toThrow(
      expect.objectContaining({ code: 'SESSION_TAMPERED' }),
    );
    const fromDevice = recordedSealed[1]!;
    expect(() => fresh.phoneChannel!.open(fromDevice.channel, fromDevice.bytes)).toThrow(
      expect.objectContaining({ code: 'SESSION_TAMPERED' }),
    );
  });
});
