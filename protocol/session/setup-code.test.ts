import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { objectContaining } from '../../test/matchers.js';
import { seededRandom } from '../../test/session/harness.js';
import {
  checkSymbolFor,
  formatSetupCode,
  generateSetupCode,
  parseSetupCode,
  SETUP_CODE_ALPHABET,
  SETUP_CODE_ENTROPY_BITS,
} from './setup-code.js';
import { encodeSetupPayload, parseSetupPayload } from './setup-payload.js';

const code = generateSetupCode(seededRandom('setup-code test'));
const invalid = objectContaining({ code: 'SESSION_SETUP_CODE_INVALID' });

describe('setup code', () => {
  it('has 50 bits, 11 symbols, a valid check symbol and the XXXX-XXXX-XXX form', () => {
    expect(SETUP_CODE_ENTROPY_BITS).toBe(50);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{11}$/);
    expect(formatSetupCode(code)).toMatch(/^.{4}-.{4}-.{3}$/);
    expect(parseSetupCode(formatSetupCode(code))).toBe(code);
  });

  it('forgives case, spaces, hyphens and I/L/O look-alikes', () => {
    const typed = ` ${formatSetupCode(code).toLowerCase().replace(/1/g, 'l').replace(/0/g, 'o')} `;
    expect(parseSetupCode(typed)).toBe(code);
  });

  it('catches every single-symbol substitution', () => {
    let substitutions = 0;
    for (let i = 0; i < code.length; i++) {
      for (const c of SETUP_CODE_ALPHABET) {
        if (c === code[i]) continue;
        substitutions++;
        expect(() => parseSetupCode(code.slice(0, i) + c + code.slice(i + 1))).toThrow(invalid);
      }
    }
    expect(substitutions).toBe(11 * 31);
  });

  it('catches every adjacent transposition except 0Z <-> Z0 (Luhn mod 32)', () => {
    const missed: string[] = [];
    for (const a of SETUP_CODE_ALPHABET) {
      for (const b of SETUP_CODE_ALPHABET) {
        if (a === b) continue;
        const body = `1234${a}${b}5678`;
        const swapped = `1234${b}${a}5678`;
        if (checkSymbolFor(body) === checkSymbolFor(swapped)) missed.push(a + b);
      }
    }
    expect(missed).toEqual(['0Z', 'Z0']);
  });

  it('rejects wrong lengths and foreign symbols without echoing the input', () => {
    for (const bad of ['', code.slice(1), code + 'A', code.slice(0, 10) + 'U', code.slice(0, 10) + '*']) {
      let message = '';
      try {
        parseSetupCode(bad);
      } catch (err) {
        message = JSON.stringify(err) + String(err);
      }
      expect(message).toContain('SESSION_SETUP_CODE_INVALID');
      if (bad.length > 3) expect(message).not.toContain(bad);
    }
  });

  it('generates uniformly distributed valid codes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), (bytes) => {
        const c = generateSetupCode(() => bytes.slice());
        expect(parseSetupCode(c)).toBe(c);
        expect(checkSymbolFor(c.slice(0, 10))).toBe(c[10]);
      }),
    );
  });
});

describe('QR payload', () => {
  const payload = { deviceId: 'pi-kitchen', setupCode: code, transports: ['ble', 'softap'] as const };

  it('encodes and parses round trip', () => {
    const uri = encodeSetupPayload(payload);
    expect(uri).toBe(`tup:1?n=pi-kitchen&c=${code}&t=ble,softap`);
    expect(parseSetupPayload(uri)).toEqual({ ...payload, transports: ['ble', 'softap'] });
    expect(parseSetupPayload(`TUP:1?t=ble&c=${formatSetupCode(code)}&n=pi-kitchen&x=future`)).toEqual({
      ...payload,
      transports: ['ble'],
    });
  });

  it('rejects malformed payloads', () => {
    for (const bad of [
      `http://x?n=a&c=${code}&t=ble`,
      `tup:2?n=a&c=${code}&t=ble`,
      `tup:1?n=a&c=${code}`,
      `tup:1?n=a&c=${code}&t=`,
      `tup:1?n=a&c=${code}&t=ble,ble`,
      `tup:1?n=a&c=${code}&t=wifi`,
      `tup:1?n=a b&c=${code}&t=ble`,
      `tup:1?n=a&n=b&c=${code}&t=ble`,
      `tup:1?n=a&c=${code.slice(1)}&t=ble`,
      `tup:1?n=a&c=${code}&t=ble&${'z'.repeat(300)}=1`,
    ]) {
      expect(() => parseSetupPayload(bad), bad).toThrow(invalid);
    }
    expect(() => encodeSetupPayload({ ...payload, transports: [] })).toThrow(invalid);
  });
});
