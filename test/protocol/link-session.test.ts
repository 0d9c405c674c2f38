/**
 * The framing/message link over the real secure channel (protocol/session): the MessageCipher seam
 * as both sides will use it. Sealed messages cross every vector payload, a message moved to another
 * characteristic or tampered with in flight fails with the session's codes.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocol/errors.js';
import { MessageLink } from '../../protocol/link.js';
import type { Message } from '../../protocol/messages.js';
import { SecureChannel } from '../../protocol/session/channel.js';
import { SAMPLES } from '../../protocol/vectors/samples.js';

const K = new Uint8Array(32).fill(7);
const pair = () => ({
  phone: SecureChannel.fromSharedKey(K, 'phone'),
  device: SecureChannel.fromSharedKey(K, 'device'),
});
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof ProtocolError ? e.code : String(e);
  }
};

describe('MessageLink over SecureChannel', () => {
  it('carries every phone->device sample sealed, at every vector payload', () => {
    for (const payload of [20, 182, 244, 509]) {
      const { phone, device } = pair();
      for (const { message } of SAMPLES.filter((s) => ['wifi', 'claim', 'control'].includes(s.message.type))) {
        const characteristic = message.type as 'wifi' | 'claim' | 'control';
        const tx = new MessageLink({ characteristic, attPayload: payload, now: () => 0, cipher: phone });
        const rx = new MessageLink({ characteristic, attPayload: payload, now: () => 0, cipher: device });
        let out: Message | undefined;
        for (const f of tx.send(message)) out = rx.receive(f);
        expect(out).toEqual(message);
      }
    }
  });

  it('refuses a sealed message replayed onto another characteristic', () => {
    const { phone, device } = pair();
    const frames = new MessageLink({ characteristic: 'wifi', attPayload: 244, now: () => 0, cipher: phone }).send(
      SAMPLES[1]!.message,
    );
    const claim = new MessageLink({ characteristic: 'claim', attPayload: 244, now: () => 0, cipher: device });
    expect(codeOf(() => frames.forEach((f) => claim.receive(f)))).toBe('SESSION_TAMPERED');
  });

  it('status read values are sealed device->phone and open on the phone', () => {
    const { phone, device } = pair();
    const status: Message = { type: 'status', state: 'wifiConnecting', progress: 20 };
    const value = new MessageLink({
      characteristic: 'status',
      attPayload: 20,
      now: () => 0,
      cipher: device,
    }).encodeValue(status);
    expect(
      new MessageLink({ characteristic: 'status', attPayload: 20, now: () => 0, cipher: phone }).decodeValue(value),
    ).toEqual(status);
  });
});
