/**
 * Builds protocol/session/vectors/handshake.json from the code (SESSION.md §6.3, §7); pure, no I/O.
 * `npx tsx protocol/session/vectors/generate.ts` writes it; test/session/handshake-vector.test.ts
 * checks the committed file against this and replays it byte for byte.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeMessage } from '../../codec.js';
import { MAX_MESSAGE_BYTES } from '../../framing.js';
import { CHANNEL, MAX_ATT_PAYLOAD, MIN_ATT_PAYLOAD } from '../../gatt.js';
import { SECURITY_SCHEME_SPAKE2P } from '../../messages.js';
import type { InfoMessage, Message } from '../../messages.js';
import { AttemptLimiter, MemoryAttemptStore } from '../attempts.js';
import { concatBytes, utf8 } from '../bytes.js';
import type { SecureChannel } from '../channel.js';
import { SessionInitiator } from '../initiator.js';
import type { RandomSource } from '../random.js';
import { SessionResponder } from '../responder.js';
import { formatSetupCode, generateSetupCode } from '../setup-code.js';
import { makeVerifier, MIN_PBKDF2_ITERATIONS } from '../verifier.js';

/** SHA-256 in counter mode over a label: the k-th 32-byte block is SHA-256(label || u32be(k)). */
export function seededRandom(label: string): RandomSource {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 32) {
      const block = sha256(
        concatBytes(utf8(label), new Uint8Array([counter >>> 24, counter >>> 16, counter >>> 8, counter])),
      );
      counter++;
      out.set(block.subarray(0, Math.min(32, length - off)), off);
    }
    return out;
  };
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export const VECTOR_DEVICE_ID = 'pi-kitchen';

/** The §5.3 info document of the vector's device (idle, before any session). */
export const VECTOR_INFO: InfoMessage = {
  type: 'info',
  versions: [1],
  security: [SECURITY_SCHEME_SPAKE2P],
  maxMessage: MAX_MESSAGE_BYTES,
  attPayload: [MIN_ATT_PAYLOAD, MAX_ATT_PAYLOAD],
  features: ['wifiScan', 'claimTransfer', 'csrOnDevice', 'keysOnCloud'],
  state: 'idle',
  deviceId: VECTOR_DEVICE_ID,
};

interface SealedStep {
  readonly from: 'phone' | 'device';
  readonly characteristic: 'wifi' | 'status' | 'scan';
  readonly note: string;
  readonly message: Message;
}

/**
 * After `done`: the device's first sealed message is the status on `status` (counter 0); the phone
 * sends `wifi` (its counter 0); the device acknowledges it (counter 1), then a scan result on `scan`
 * takes counter 2: one device-to-phone counter across status notifications, scan notifications and
 * status reads (PROTOCOL.md §2.3).
 */
const SEALED: readonly SealedStep[] = [
  {
    from: 'device',
    characteristic: 'status',
    note: 'the status notified right after done: device-to-phone counter 0',
    message: { type: 'status', state: 'sessionEstablished', step: 'waiting for Wi-Fi and claim', progress: 0 },
  },
  {
    from: 'phone',
    characteristic: 'wifi',
    note: 'phone-to-device counter 0',
    message: { type: 'wifi', ssid: utf8('home'), passphrase: 'correct horse battery' },
  },
  {
    from: 'device',
    characteristic: 'status',
    note: 'the acknowledgement of wifi: device-to-phone counter 1',
    message: { type: 'status', state: 'sessionEstablished', step: 'wifi accepted', progress: 0 },
  },
  {
    from: 'device',
    characteristic: 'scan',
    note: 'a scan result on another characteristic takes the next counter of the same direction: 2',
    message: { type: 'scan', networks: [{ ssid: utf8('home'), rssi: -40, security: 'wpa2', channel: 6 }] },
  },
];

export function buildHandshakeVector(): Record<string, unknown> {
  const codeRandom = seededRandom('code:vector');
  const code = generateSetupCode(codeRandom);
  const verifier = makeVerifier({
    deviceId: VECTOR_DEVICE_ID,
    code,
    random: codeRandom,
    iterations: MIN_PBKDF2_ITERATIONS,
  });
  const info = encodeMessage(VECTOR_INFO);
  const phone = new SessionInitiator({
    setupCode: formatSetupCode(code),
    deviceId: VECTOR_DEVICE_ID,
    info,
    random: seededRandom('phone-x'),
  });
  const device = new SessionResponder({
    verifier,
    info,
    random: seededRandom('device-y'),
    attempts: new AttemptLimiter(new MemoryAttemptStore(), () => 0),
    clock: () => 0,
  });
  const messages: { from: 'phone' | 'device'; hex: string }[] = [];
  let channels: { phone: SecureChannel; device: SecureChannel } | undefined;
  let toDevice: Uint8Array | undefined = phone.start();
  let phoneChannel: SecureChannel | undefined;
  while (toDevice) {
    messages.push({ from: 'phone', hex: hex(toDevice) });
    const d = device.receive(toDevice);
    if (d.status === 'failed' || !d.reply) throw new Error('the vector handshake failed');
    messages.push({ from: 'device', hex: hex(d.reply) });
    const p = phone.receive(d.reply);
    if (p.status === 'established') phoneChannel = p.channel;
    if (d.status === 'established' && phoneChannel) channels = { phone: phoneChannel, device: d.channel };
    toDevice = p.reply;
  }
  if (!channels) throw new Error('the vector handshake did not establish a channel');
  const sealed = SEALED.map((s) => {
    const plaintext = encodeMessage(s.message);
    const channel = CHANNEL[s.characteristic];
    const sealer = s.from === 'phone' ? channels.phone : channels.device;
    return {
      from: s.from,
      characteristic: s.characteristic,
      channel,
      note: s.note,
      plaintext: hex(plaintext),
      hex: hex(sealer.seal(channel, plaintext)),
    };
  });
  return {
    description:
      'One complete session handshake, then sealed messages each way (SESSION.md §6.3, §7; PROTOCOL.md §2.3). Randomness: the k-th 32-byte block drawn from a source labelled L is SHA-256(L || u32be(k)), concatenated and truncated per call; the code was drawn from "code:vector", the salt next from the same source. `info` is the deterministic CBOR of the PROTOCOL.md §5.3 document `infoDocument`; each sealed `plaintext` is the deterministic CBOR of a §5 message. Generated by `npx tsx protocol/session/vectors/generate.ts`.',
    deviceId: VECTOR_DEVICE_ID,
    infoDocument: {
      t: 'info',
      v: 1,
      vers: VECTOR_INFO.versions,
      sec: VECTOR_INFO.security,
      maxMsg: VECTOR_INFO.maxMessage,
      att: VECTOR_INFO.attPayload,
      feat: VECTOR_INFO.features,
      state: 0,
      id: VECTOR_DEVICE_ID,
    },
    info: hex(info),
    setupCode: code,
    iterations: verifier.iterations,
    salt: hex(verifier.salt),
    w0: hex(verifier.w0),
    L: hex(verifier.L),
    phoneRandomLabel: 'phone-x',
    deviceRandomLabel: 'device-y',
    messages,
    sealed,
  };
}
