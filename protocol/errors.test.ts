import { describe, expect, it } from 'vitest';
import {
  ERROR_TABLE,
  ProtocolError,
  ProvisioningError,
  errorCodeFromWire,
  isErrorCode,
  type ErrorCode,
} from './errors.js';

describe('error table', () => {
  const codes = Object.keys(ERROR_TABLE) as ErrorCode[];

  it('gives every code a distinct wire number in its category range', () => {
    const ranges = { protocol: 0x01, session: 0x02, wifi: 0x03, cloud: 0x04, device: 0x05 } as const;
    const wires = new Set<number>();
    for (const code of codes) {
      const spec = ERROR_TABLE[code];
      expect(wires.has(spec.wire), code).toBe(false);
      wires.add(spec.wire);
      expect(spec.wire >> 8, code).toBe(ranges[spec.category]);
      expect(errorCodeFromWire(spec.wire)).toBe(code);
    }
    expect(errorCodeFromWire(0xffff)).toBeUndefined();
  });

  it('carries code, wire number, detail and cause on the error', () => {
    const cause = new Error('low-level');
    const err = new ProtocolError('FRAME_DUPLICATE', { detail: 'seq 3', cause });
    expect(err).toBeInstanceOf(ProvisioningError);
    expect(err.name).toBe('ProtocolError');
    expect(err.code).toBe('FRAME_DUPLICATE');
    expect(err.wire).toBe(0x0104);
    expect(err.category).toBe('protocol');
    expect(err.message).toBe('A frame was received twice: seq 3');
    expect(err.cause).toBe(cause);
  });

  it('recognises codes and nothing else', () => {
    expect(isErrorCode('CLAIM_EXPIRED')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(7)).toBe(false);
  });
});
