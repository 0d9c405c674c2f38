/**
 * The setup code (SESSION.md, "Setup code"): 10 random Crockford base32 symbols (50 bits) plus one
 * Luhn mod 32 check symbol, shown as `XXXX-XXXX-XXX`. Typing is forgiving (case, hyphens, spaces,
 * I/L for 1, O for 0); the check symbol catches every single-symbol typo and most adjacent swaps
 * before a handshake (and a counted attempt) is spent on it.
 */
import { fail } from './fail.js';
import { randomBytes, type RandomSource } from './random.js';

/** Crockford base32: no I, L, O, U, so a code reads aloud and types without ambiguity. */
export const SETUP_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Random symbols in a code: 10 x 5 bits = 50 bits of entropy (SESSION.md argues the number). */
export const SETUP_CODE_RANDOM_SYMBOLS = 10;
/** Canonical length: the random symbols plus the check symbol. */
export const SETUP_CODE_LENGTH = SETUP_CODE_RANDOM_SYMBOLS + 1;
/** Entropy of a setup code in bits. */
export const SETUP_CODE_ENTROPY_BITS = SETUP_CODE_RANDOM_SYMBOLS * 5;

const BASE = SETUP_CODE_ALPHABET.length;

/** A canonical setup code: 11 symbols from {@link SETUP_CODE_ALPHABET}, check symbol last. */
export type SetupCode = string & { readonly __brand: 'SetupCode' };

function symbolValue(c: string): number {
  return SETUP_CODE_ALPHABET.indexOf(c);
}

/** Luhn mod N (N = 32) over the symbol values; returns the value of the check symbol. */
export function checkSymbolFor(body: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    let addend = factor * symbolValue(body[i]!);
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / BASE) + (addend % BASE);
    sum += addend;
  }
  return SETUP_CODE_ALPHABET[(BASE - (sum % BASE)) % BASE]!;
}

/** Draws a new code: 5 bits from each random byte (32 divides 256, so every symbol is uniform). */
export function generateSetupCode(random: RandomSource): SetupCode {
  const bytes = randomBytes(random, SETUP_CODE_RANDOM_SYMBOLS);
  let body = '';
  for (const b of bytes) body += SETUP_CODE_ALPHABET[b & 0x1f];
  bytes.fill(0);
  return (body + checkSymbolFor(body)) as SetupCode;
}

/**
 * Normalizes what a person typed or a QR carried and validates the check symbol.
 * Throws SESSION_SETUP_CODE_INVALID; the detail never repeats the input.
 */
export function parseSetupCode(input: string): SetupCode {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (s.length !== SETUP_CODE_LENGTH)
    fail('SESSION_SETUP_CODE_INVALID', `a setup code has ${SETUP_CODE_LENGTH} symbols`);
  for (const c of s) {
    if (symbolValue(c) < 0)
      fail('SESSION_SETUP_CODE_INVALID', 'a setup code uses only 0-9 and A-Z without I, L, O and U');
  }
  if (checkSymbolFor(s.slice(0, -1)) !== s.slice(-1))
    fail('SESSION_SETUP_CODE_INVALID', 'the check symbol does not match: a symbol was mistyped');
  return s as SetupCode;
}

/** The human form `XXXX-XXXX-XXX`. */
export function formatSetupCode(code: SetupCode): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}
