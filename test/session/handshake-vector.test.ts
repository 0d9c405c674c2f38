/** The handshake vector in protocol/session/vectors/handshake.json is reproduced byte for byte. */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../protocol/codec.js';
import { CHANNEL } from '../../protocol/gatt.js';
import { parseSetupCode } from '../../protocol/session/setup-code.js';
import { computeL } from '../../protocol/session/spake2plus.js';
import { deriveSecrets } from '../../protocol/session/verifier.js';
import { buildHandshakeVector } from '../../protocol/session/vectors/build.js';
import vector from '../../protocol/session/vectors/handshake.json' with { type: 'json' };
import { initiator, pump, responder, seededRandom, vectorVerifier } from './harness.js';

describe('handshake vector', () => {
  const verifier = vectorVerifier(vector);

  it('is what the generator writes (run `npx tsx protocol/session/vectors/generate.ts` after a deliberate change)', () => {
    expect(vector).toEqual(JSON.parse(JSON.stringify(buildHandshakeVector())));
  });

  it('binds a real PROTOCOL.md §5.3 info document, not an arbitrary string', () => {
    const info = decodeMessage(hexToBytes(vector.info));
    expect(info).toMatchObject({ type: 'info', deviceId: vector.deviceId, state: 'idle' });
  });

  it('derives the stored verifier from the code', () => {
    const s = deriveSecrets(parseSetupCode(vector.setupCode), verifier)!;
    expect(bytesToHex(s.w0)).toBe(vector.w0);
    expect(bytesToHex(computeL(s.w1))).toBe(vector.L);
  });

  it('reproduces every message and sealed message; device messages share one counter across characteristics', () => {
    const x = pump(
      initiator({
        setupCode: vector.setupCode,
        deviceId: vector.deviceId,
        info: hexToBytes(vector.info),
        random: seededRandom(vector.phoneRandomLabel),
      }),
      responder({ verifier, info: hexToBytes(vector.info), random: seededRandom(vector.deviceRandomLabel) }).device,
    );
    expect(x.messages.map((m) => ({ from: m.from, hex: bytesToHex(m.bytes) }))).toEqual(vector.messages);
    let deviceCounter = 0;
    for (const s of vector.sealed) {
      expect(s.channel).toBe(CHANNEL[s.characteristic as keyof typeof CHANNEL]);
      const [sealer, opener] =
        s.from === 'phone' ? [x.phoneChannel!, x.deviceChannel!] : [x.deviceChannel!, x.phoneChannel!];
      expect(bytesToHex(sealer.seal(s.channel, hexToBytes(s.plaintext))), s.note).toBe(s.hex);
      expect(bytesToHex(opener.open(s.channel, hexToBytes(s.hex)))).toBe(s.plaintext);
      decodeMessage(hexToBytes(s.plaintext));
      if (s.from === 'device') {
        // counter (u32 BE) is the first field of a sealed message: 0, 1, 2 whatever the characteristic.
        expect(parseInt(s.hex.slice(0, 8), 16)).toBe(deviceCounter++);
      }
    }
    // The first device message after done is the status on channel 6 (PROTOCOL.md §2.3).
    expect(vector.sealed[0]).toMatchObject({ from: 'device', characteristic: 'status', channel: CHANNEL.status });
  });
});
