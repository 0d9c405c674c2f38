/** The handshake vector in protocol/session/vectors/handshake.json is reproduced byte for byte. */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../protocol/session/bytes.js';
import { parseSetupCode } from '../../protocol/session/setup-code.js';
import { computeL } from '../../protocol/session/spake2plus.js';
import { deriveSecrets } from '../../protocol/session/verifier.js';
import vector from '../../protocol/session/vectors/handshake.json' with { type: 'json' };
import { initiator, pump, responder, seededRandom } from './harness.js';

describe('handshake vector', () => {
  const verifier = { deviceId: vector.deviceId, iterations: vector.iterations, salt: hexToBytes(vector.salt), w0: hexToBytes(vector.w0), L: hexToBytes(vector.L) };

  it('derives the stored verifier from the code', () => {
    const s = deriveSecrets(parseSetupCode(vector.setupCode), verifier)!;
    expect(bytesToHex(s.w0)).toBe(vector.w0);
    expect(bytesToHex(computeL(s.w1))).toBe(vector.L);
  });

  it('reproduces every message and sealed message', () => {
    const x = pump(
      initiator({ setupCode: vector.setupCode, deviceId: vector.deviceId, info: hexToBytes(vector.info), random: seededRandom(vector.phoneRandomLabel) }),
      responder({ verifier, info: hexToBytes(vector.info), random: seededRandom(vector.deviceRandomLabel) }).device,
    );
    expect(x.messages.map((m) => ({ from: m.from, hex: bytesToHex(m.bytes) }))).toEqual(vector.messages);
    const [toDevice, toPhone] = vector.sealed;
    expect(bytesToHex(x.phoneChannel!.seal(toDevice!.channel, utf8(toDevice!.plaintext)))).toBe(toDevice!.hex);
    expect(bytesToHex(x.deviceChannel!.seal(toPhone!.channel, utf8(toPhone!.plaintext)))).toBe(toPhone!.hex);
  });
});
