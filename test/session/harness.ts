/** Shared test fixtures for the secure session: deterministic randomness, a device, a pump. */
import { hexToBytes } from '@noble/hashes/utils.js';
import { utf8 } from '../../protocol/session/bytes.js';
import { AttemptLimiter, MemoryAttemptStore, type AttemptStore } from '../../protocol/session/attempts.js';
import type { HandshakeResult } from '../../protocol/session/handshake.js';
import { SessionInitiator, type InitiatorOptions } from '../../protocol/session/initiator.js';
import type { RandomSource } from '../../protocol/session/random.js';
import { SessionResponder } from '../../protocol/session/responder.js';
import { generateSetupCode, type SetupCode } from '../../protocol/session/setup-code.js';
import { makeVerifier, MIN_PBKDF2_ITERATIONS, type SetupVerifier } from '../../protocol/session/verifier.js';
import type { SecureChannel } from '../../protocol/session/channel.js';
import { seededRandom } from '../../protocol/session/vectors/build.js';

/** SHA-256 in counter mode over a label: reproducible "randomness" for vectors and recorded sessions. */
/** SHA-256 in counter mode over a label: reproducible "randomness" for vectors and recorded sessions (the vector generator's). */
export { seededRandom };

/** The verifier of protocol/session/vectors/handshake.json (what the vector's device stores). */
export function vectorVerifier(v: {
  deviceId: string;
  iterations: number;
  salt: string;
  w0: string;
  L: string;
}): SetupVerifier {
  return {
    deviceId: v.deviceId,
    iterations: v.iterations,
    salt: hexToBytes(v.salt),
    w0: hexToBytes(v.w0),
    L: hexToBytes(v.L),
  };
}

export const DEVICE_ID = 'pi-kitchen';
export const INFO = utf8('{"v":1,"name":"pi-kitchen","transports":["ble","softap"]}');

export interface Device {
  readonly code: SetupCode;
  readonly verifier: SetupVerifier;
}

const deviceCache = new Map<string, Device>();
/** A device with its code and verifier; low PBKDF2 iterations keep the many-handshake tests fast. */
export function makeDevice(label = 'device', iterations = MIN_PBKDF2_ITERATIONS): Device {
  const key = `${label}/${iterations}`;
  let d = deviceCache.get(key);
  if (!d) {
    const random = seededRandom(`code:${label}`);
    const code = generateSetupCode(random);
    d = { code, verifier: makeVerifier({ deviceId: DEVICE_ID, code, random, iterations }) };
    deviceCache.set(key, d);
  }
  return d;
}

export class FakeClock {
  constructor(public nowMs = 1_750_000_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface ResponderSetup {
  verifier: SetupVerifier;
  info?: Uint8Array;
  random?: RandomSource;
  store?: AttemptStore;
  clock?: FakeClock;
}

export function responder(s: ResponderSetup): { device: SessionResponder; limiter: AttemptLimiter; clock: FakeClock } {
  const clock = s.clock ?? new FakeClock();
  const limiter = new AttemptLimiter(s.store ?? new MemoryAttemptStore(), clock.now);
  const device = new SessionResponder({
    verifier: s.verifier,
    info: s.info ?? INFO,
    random: s.random ?? seededRandom('device-y'),
    attempts: limiter,
    clock: clock.now,
  });
  return { device, limiter, clock };
}

export function initiator(o: Partial<InitiatorOptions> & { setupCode: string }): SessionInitiator {
  return new SessionInitiator({ deviceId: DEVICE_ID, info: INFO, random: seededRandom('phone-x'), ...o });
}

export interface Exchange {
  /** Every handshake message in order, with who sent it. */
  readonly messages: { from: 'phone' | 'device'; bytes: Uint8Array }[];
  readonly phone: HandshakeResult | undefined;
  readonly device: HandshakeResult | undefined;
  readonly phoneChannel: SecureChannel | undefined;
  readonly deviceChannel: SecureChannel | undefined;
}

/** Runs a handshake to its end in memory, passing each reply to the other side. */
export function pump(
  phone: SessionInitiator,
  device: SessionResponder,
  tamper?: (index: number, bytes: Uint8Array) => Uint8Array,
): Exchange {
  const messages: { from: 'phone' | 'device'; bytes: Uint8Array }[] = [];
  let lastPhone: HandshakeResult | undefined;
  let lastDevice: HandshakeResult | undefined;
  let toDevice: Uint8Array | undefined = phone.start();
  while (toDevice) {
    const sent: Uint8Array = tamper ? tamper(messages.length, toDevice) : toDevice;
    messages.push({ from: 'phone', bytes: sent });
    lastDevice = device.receive(sent);
    if (!lastDevice.reply) break;
    const back: Uint8Array = tamper ? tamper(messages.length, lastDevice.reply) : lastDevice.reply;
    messages.push({ from: 'device', bytes: back });
    lastPhone = phone.receive(back);
    toDevice = lastPhone.reply;
  }
  return {
    messages,
    phone: lastPhone,
    device: lastDevice,
    phoneChannel: lastPhone?.status === 'established' ? lastPhone.channel : undefined,
    deviceChannel: lastDevice?.status === 'established' ? lastDevice.channel : undefined,
  };
}
