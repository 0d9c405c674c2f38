import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { utf8 } from './bytes.js';
import { computeL, M_HEX, N_HEX, proverFinish, proverShare, verifierRespond } from './spake2plus.js';
import vector from './vectors/rfc9383.json' with { type: 'json' };

const ids = { context: utf8(vector.Context), idProver: utf8(vector.idProver), idVerifier: utf8(vector.idVerifier) };
const w0 = hexToBytes(vector.w0);
const w1 = hexToBytes(vector.w1);
const x = hexToBytes(vector.x);
const y = hexToBytes(vector.y);

describe('SPAKE2+ P256-SHA256-HKDF-SHA256-HMAC-SHA256 against RFC 9383 Appendix C', () => {
  it('uses the RFC M and N points', () => {
    expect(M_HEX).toBe(vector.M);
    expect(N_HEX).toBe(vector.N);
  });

  it('reproduces L = w1*P', () => {
    expect(bytesToHex(computeL(w1))).toBe(vector.L);
  });

  it('reproduces every prover value byte for byte', () => {
    const shareP = proverShare(w0, x);
    expect(bytesToHex(shareP)).toBe(vector.shareP);
    const r = proverFinish(ids, { w0, w1 }, x, shareP, hexToBytes(vector.shareV));
    expect(bytesToHex(r.Z)).toBe(vector.Z);
    expect(bytesToHex(r.V)).toBe(vector.V);
    expect(bytesToHex(r.keys.TT)).toBe(vector.TT);
    expect(bytesToHex(r.keys.K_main)).toBe(vector.K_main);
    expect(bytesToHex(r.keys.K_confirmP)).toBe(vector.K_confirmP);
    expect(bytesToHex(r.keys.K_confirmV)).toBe(vector.K_confirmV);
    expect(bytesToHex(r.keys.confirmP)).toBe(vector.confirmP);
    expect(bytesToHex(r.keys.confirmV)).toBe(vector.confirmV);
    expect(bytesToHex(r.keys.K_shared)).toBe(vector.K_shared);
  });

  it('reproduces every verifier value byte for byte', () => {
    const r = verifierRespond(ids, { w0, L: hexToBytes(vector.L) }, y, hexToBytes(vector.shareP));
    expect(bytesToHex(r.shareV)).toBe(vector.shareV);
    expect(bytesToHex(r.Z)).toBe(vector.Z);
    expect(bytesToHex(r.V)).toBe(vector.V);
    expect(bytesToHex(r.keys.TT)).toBe(vector.TT);
    expect(bytesToHex(r.keys.K_main)).toBe(vector.K_main);
    expect(bytesToHex(r.keys.K_confirmP)).toBe(vector.K_confirmP);
    expect(bytesToHex(r.keys.K_confirmV)).toBe(vector.K_confirmV);
    expect(bytesToHex(r.keys.confirmP)).toBe(vector.confirmP);
    expect(bytesToHex(r.keys.confirmV)).toBe(vector.confirmV);
    expect(bytesToHex(r.keys.K_shared)).toBe(vector.K_shared);
  });

  it('rejects a share that is not on the curve or is the identity', () => {
    const bad = hexToBytes(vector.shareP);
    bad[64] = bad[64]! ^ 1;
    expect(() => verifierRespond(ids, { w0, L: hexToBytes(vector.L) }, y, bad)).toThrow(
      expect.objectContaining({ code: 'SESSION_HANDSHAKE_INVALID' }),
    );
    expect(() => proverFinish(ids, { w0, w1 }, x, proverShare(w0, x), new Uint8Array(65))).toThrow(
      expect.objectContaining({ code: 'SESSION_HANDSHAKE_INVALID' }),
    );
  });
});
