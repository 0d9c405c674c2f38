import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, isErrorCode } from './errors.js';
import { CHARACTERISTICS, CHARACTERISTIC_NAMES, SERVICE_UUID } from './gatt.js';
import { PROVISIONING_STATES, PROVISIONING_STATE_NAMES } from './states.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'PROTOCOL.md'), 'utf8');

describe('PROTOCOL.md agrees with the code', () => {
  it('gives every error row the wire number of errors.ts', () => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| 0x([0-9a-f]{4}) \|/gm)];
    expect(rows.length).toBeGreaterThanOrEqual(50);
    for (const [, code, wire] of rows) {
      expect(isErrorCode(code), code).toBe(true);
      expect(ERROR_TABLE[code as keyof typeof ERROR_TABLE].wire, code).toBe(parseInt(wire!, 16));
    }
  });

  it('lists the service, every characteristic with its channel, and every state with its code', () => {
    expect(doc).toContain(SERVICE_UUID);
    for (const n of CHARACTERISTIC_NAMES)
      expect(doc).toContain(`| \`${n}\` | \`${CHARACTERISTICS[n].uuid}\` | ${CHARACTERISTICS[n].channel} |`);
    for (const s of PROVISIONING_STATE_NAMES) expect(doc).toContain(`| ${PROVISIONING_STATES[s]} | \`${s}\` |`);
  });
});
