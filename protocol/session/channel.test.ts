import { describe, expect, it } from 'vitest';
import { utf8 } from './bytes.js';
import { SEAL_OVERHEAD_BYTES, SecureChannel } from './channel.js';

const K = new Uint8Array(32).fill(7);
function pair(maxMessages?: number): { phone: SecureChannel; device: SecureChannel } {
  const options = maxMessages === undefined ? {} : { maxMessages };
  return {
    phone: SecureChannel.fromSharedKey(K, 'phone', options),
    device: SecureChannel.fromSharedKey(K, 'device', options),
  };
}
const code = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return 'no error';
};

describe('secure channel', () => {
  it('round-trips with the documented overhead and explicit counter', () => {
    const { phone, device } = pair();
    const s0 = phone.seal(1, utf8('a'));
    const s1 = phone.seal(1, utf8('bc'));
    expect(s0.length).toBe(1 + SEAL_OVERHEAD_BYTES);
    expect([...s1.subarray(0, 8)]).toEqual([0, 0, 0, 1, 0, 0, 0, 2]);
    expect(device.open(1, s0)).toEqual(utf8('a'));
    expect(device.open(1, s1)).toEqual(utf8('bc'));
    expect(device.counters).toEqual({ sent: 0, received: 2 });
  });

  it('uses a different key per direction: a message cannot be reflected back to its sender', () => {
    const { phone } = pair();
    expect(code(() => phone.open(1, phone.seal(1, utf8('x'))))).toBe('SESSION_TAMPERED');
  });

  it('binds the channel id: a message moved to another characteristic is tampered', () => {
    const { phone, device } = pair();
    expect(code(() => device.open(2, phone.seal(1, utf8('x'))))).toBe('SESSION_TAMPERED');
  });

  it('names a replay, ends the session, then says SESSION_CLOSED for both seal and open', () => {
    const { phone, device } = pair();
    const m = phone.seal(1, utf8('x'));
    device.open(1, m);
    expect(code(() => device.open(1, m))).toBe('SESSION_REPLAYED');
    expect(device.closed).toBe(true);
    expect(device.closeReason).toBe('SESSION_REPLAYED');
    expect(code(() => device.open(1, phone.seal(1, utf8('y'))))).toBe('SESSION_CLOSED');
    expect(code(() => device.seal(1, utf8('z')))).toBe('SESSION_CLOSED');
  });

  it('names a reorder (a later message first)', () => {
    const { phone, device } = pair();
    phone.seal(1, utf8('first'));
    expect(code(() => device.open(1, phone.seal(1, utf8('second'))))).toBe('SESSION_REORDERED');
    expect(device.closed).toBe(true);
  });

  it('names a truncation, whatever is cut', () => {
    const m = pair().phone.seal(1, utf8('some message'));
    for (const cut of [1, 5, 16, m.length - 8, m.length - 1, m.length]) {
      const { device } = pair();
      expect(code(() => device.open(1, m.subarray(0, m.length - cut)))).toBe('SESSION_TRUNCATED');
    }
  });

  it('names tampering: a flipped bit in the body or tag, or appended bytes', () => {
    const m = pair().phone.seal(1, utf8('some message'));
    for (const at of [8, 12, m.length - 1]) {
      const t = m.slice();
      t[at] = t[at]! ^ 0x01;
      expect(code(() => pair().device.open(1, t))).toBe('SESSION_TAMPERED');
    }
    expect(code(() => pair().device.open(1, new Uint8Array([...m, 0])))).toBe('SESSION_TAMPERED');
  });

  it('rejects a bit flip in every byte position of a sealed message', () => {
    const m = pair().phone.seal(1, utf8('{"ssid":"home"}'));
    for (let i = 0; i < m.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const t = m.slice();
        t[i] = t[i]! ^ bit;
        const { device } = pair();
        expect(['SESSION_TAMPERED', 'SESSION_TRUNCATED']).toContain(code(() => device.open(1, t)));
        expect(device.closed).toBe(true);
      }
    }
  });

  it('handles counter exhaustion by ending the session', () => {
    const { phone, device } = pair(2);
    device.open(1, phone.seal(1, utf8('1')));
    device.open(1, phone.seal(1, utf8('2')));
    expect(code(() => phone.seal(1, utf8('3')))).toBe('SESSION_CLOSED');
    expect(phone.closed).toBe(true);
  });

  it('close() ends the session on purpose', () => {
    const { phone } = pair();
    phone.close();
    expect(code(() => phone.seal(1, utf8('x')))).toBe('SESSION_CLOSED');
    expect(phone.closeReason).toBe('SESSION_CLOSED');
  });
});
