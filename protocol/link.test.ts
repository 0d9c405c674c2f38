import { describe, expect, it } from 'vitest';
import type { MessageCipher } from './cipher.js';
import { encodeMessage } from './codec.js';
import { ProtocolError, UsageError } from './errors.js';
import { CHANNEL } from './gatt.js';
import { MessageLink } from './link.js';
import type { WifiMessage } from './messages.js';
import { SAMPLES } from './vectors/samples.js';

/** A trivial test cipher: XOR with the channel id, a 1-byte channel tag and a 2-byte sum as "tag". */
class TestCipher implements MessageCipher {
  sealed = 0;
  seal(channel: number, plaintext: Uint8Array): Uint8Array {
    this.sealed++;
    const out = new Uint8Array(plaintext.length + 3);
    out[0] = channel;
    plaintext.forEach((b, i) => {
      out[i + 1] = b ^ channel;
    });
    const sum = plaintext.reduce((s, b) => (s + b) & 0xffff, 0);
    out[out.length - 2] = sum >> 8;
    out[out.length - 1] = sum & 0xff;
    return out;
  }
  open(channel: number, sealed: Uint8Array): Uint8Array {
    if (sealed.length < 3) throw new ProtocolError('SESSION_TRUNCATED');
    if (sealed[0] !== channel) throw new ProtocolError('SESSION_TAMPERED', { detail: 'channel' });
    const plain = sealed.subarray(1, -2).map((b) => b ^ channel);
    const sum = plain.reduce((s, b) => (s + b) & 0xffff, 0);
    if (sealed[sealed.length - 2] !== sum >> 8 || sealed[sealed.length - 1] !== (sum & 0xff))
      throw new ProtocolError('SESSION_TAMPERED');
    return plain;
  }
}

const wifi: WifiMessage = { type: 'wifi', ssid: new TextEncoder().encode('home'), passphrase: 'password1' };
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return (e as ProtocolError).code;
  }
};
const deliver = (to: MessageLink, frames: Uint8Array[]) => {
  let out;
  for (const f of frames) out = to.receive(f);
  return out;
};

describe('MessageLink', () => {
  it('carries every sample through encode -> seal -> fragment -> reassemble -> open -> decode', () => {
    for (const payload of [20, 182, 244, 509]) {
      for (const { name, message } of SAMPLES) {
        const characteristic = message.type;
        const cipher = new TestCipher();
        const phone = new MessageLink({ characteristic, attPayload: payload, now: () => 0, cipher });
        const device = new MessageLink({ characteristic, attPayload: payload, now: () => 0, cipher });
        const frames = phone.send(message);
        expect(frames.every((f) => f.length <= payload)).toBe(true);
        expect(deliver(device, frames), `${name}@${payload}`).toEqual(message);
        expect(cipher.sealed).toBe(CHANNEL[characteristic] === CHANNEL.info ? 0 : 1);
      }
    }
  });

  it('binds the channel: a sealed message moved to another characteristic fails to open', () => {
    const cipher = new TestCipher();
    const frames = new MessageLink({ characteristic: 'wifi', attPayload: 20, now: () => 0, cipher }).send(wifi);
    const claimLink = new MessageLink({ characteristic: 'claim', attPayload: 20, now: () => 0, cipher });
    expect(codeOf(() => deliver(claimLink, frames))).toBe('SESSION_TAMPERED');
  });

  it('rejects a message of the wrong type with WRONG_CHANNEL (both directions)', () => {
    const wifiLink = new MessageLink({ characteristic: 'wifi', attPayload: 100, now: () => 0, sealed: false });
    expect(codeOf(() => wifiLink.send({ type: 'control', command: 'scan' }))).toBe('WRONG_CHANNEL');
    const frames = new MessageLink({ characteristic: 'control', attPayload: 100, now: () => 0, sealed: false }).send({
      type: 'control',
      command: 'scan',
    });
    expect(codeOf(() => deliver(wifiLink, frames))).toBe('WRONG_CHANNEL');
  });

  it('requires a session on sealed characteristics', () => {
    const link = new MessageLink({ characteristic: 'wifi', attPayload: 100, now: () => 0 });
    expect(() => link.send(wifi)).toThrow(UsageError);
    expect(codeOf(() => link.send(wifi))).toBe('SESSION_REQUIRED');
    const plainFrames = new MessageLink({ characteristic: 'wifi', attPayload: 100, now: () => 0, sealed: false }).send(
      wifi,
    );
    expect(codeOf(() => deliver(link, plainFrames))).toBe('SESSION_REQUIRED');
    link.setCipher(new TestCipher());
    expect(link.send(wifi).length).toBe(1);
  });

  it('passes raw bytes on the session characteristic, unsealed', () => {
    const a = new MessageLink({ characteristic: 'session', attPayload: 20, now: () => 0 });
    const b = new MessageLink({ characteristic: 'session', attPayload: 20, now: () => 0 });
    const hello = Uint8Array.from({ length: 37 }, (_, i) => i);
    let out: Uint8Array | undefined;
    for (const f of a.sendBytes(hello)) out = b.receiveBytes(f);
    expect(out).toEqual(hello);
    expect(codeOf(() => a.send(wifi))).toBe('WRONG_CHANNEL');
  });

  it('encodes read values (info in clear, status sealed) within 512 bytes', () => {
    const info = SAMPLES.find((s) => s.name === 'info')!.message;
    const infoLink = new MessageLink({ characteristic: 'info', attPayload: 20, now: () => 0 });
    const value = infoLink.encodeValue(info);
    expect(value).toEqual(encodeMessage(info));
    expect(infoLink.decodeValue(value)).toEqual(info);
    const cipher = new TestCipher();
    const statusLink = new MessageLink({ characteristic: 'status', attPayload: 20, now: () => 0, cipher });
    const status = { type: 'status', state: 'idle' } as const;
    expect(statusLink.decodeValue(statusLink.encodeValue(status))).toEqual(status);
    expect(codeOf(() => statusLink.decodeValue(new Uint8Array(513)))).toBe('MESSAGE_TOO_LARGE');
  });

  it('forgets partial messages and the cipher on reset, and exposes the reassembler bounds', () => {
    let t = 0;
    const link = new MessageLink({
      characteristic: 'claim',
      attPayload: 20,
      now: () => t,
      cipher: new TestCipher(),
      timeoutMs: 1000,
    });
    const frames = new MessageLink({
      characteristic: 'claim',
      attPayload: 20,
      now: () => 0,
      cipher: new TestCipher(),
    }).send(SAMPLES.find((s) => s.name === 'claim')!.message);
    link.receive(frames[0]!);
    expect(link.bufferedBytes).toBeGreaterThan(0);
    expect(link.bufferedBytes).toBeLessThanOrEqual(link.bufferLimit);
    expect(link.nextDeadline()).toBe(1000);
    t = 1000;
    expect(link.expire().map((e) => e.code)).toEqual(['MESSAGE_TIMEOUT']);
    link.receive(frames[0]!);
    link.reset();
    expect(link.bufferedBytes).toBe(0);
    expect(codeOf(() => link.send(wifi))).toBe('WRONG_CHANNEL');
    expect(codeOf(() => link.send(SAMPLES.find((s) => s.name === 'claim')!.message))).toBe('SESSION_REQUIRED');
    expect(codeOf(() => link.setAttPayload(19))).toBe('CONFIG_INVALID');
  });
});
