/** The Node phone's native PBKDF2 is the protocol's PBKDF2: same bytes, and the same handshake. */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { pbkdf2Sha256 } from '../../../protocol/session/index.js';
import type { Pbkdf2Sha256 } from '../../../protocol/session/index.js';
import vector from '../../../protocol/session/vectors/handshake.json' with { type: 'json' };
import { initiator, pump, responder, seededRandom, vectorVerifier } from '../../../test/session/harness.js';
import { nodePbkdf2Sha256, nodeRandom } from './node-crypto.js';

describe('nodePbkdf2Sha256', () => {
  it('gives the portable implementation’s bytes, for lengths and iteration counts of both sides', () => {
    for (const [iterations, length] of [
      [1, 32],
      [1_000, 80],
      [10_000, 80],
      [3, 100],
    ] as const) {
      const password = nodeRandom(1 + (iterations % 37));
      const salt = nodeRandom(16);
      expect(bytesToHex(nodePbkdf2Sha256(password, salt, iterations, length))).toBe(
        bytesToHex(pbkdf2Sha256(password, salt, iterations, length)),
      );
    }
  });

  it('reproduces the handshake vector when the phone is given it, and is what the phone uses', () => {
    const calls: number[] = [];
    const counted: Pbkdf2Sha256 = (password, salt, iterations, length) => {
      calls.push(iterations);
      return nodePbkdf2Sha256(password, salt, iterations, length);
    };
    const info = hexToBytes(vector.info);
    const verifier = vectorVerifier(vector);
    const x = pump(
      initiator({
        setupCode: vector.setupCode,
        deviceId: vector.deviceId,
        info,
        random: seededRandom(vector.phoneRandomLabel),
        pbkdf2: counted,
      }),
      responder({ verifier, info, random: seededRandom(vector.deviceRandomLabel) }).device,
    );
    const wire = x.messages.map((m) => bytesToHex(m.bytes));
    expect(wire).toEqual(vector.messages.map((m) => m.hex));
    expect(calls).toEqual([vector.iterations]);
  });
});
