import { configInvalid } from './errors.js';

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Strict dotted-quad IPv4 (no leading zeros, no octal/hex forms) as an unsigned 32-bit number. */
export function parseIpv4(text: unknown, field: string): number {
  if (typeof text !== 'string' || !DOTTED_QUAD.test(text))
    return configInvalid(field, 'must be a dotted-quad IPv4 address');
  return text.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}
