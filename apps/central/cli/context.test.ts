import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { textContaining } from '../../../test/matchers.js';
import { readClientSecretFile } from './context.js';

const dir = mkdtempSync(join(tmpdir(), 'central-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('client secret files (never argv)', () => {
  it("reads the emulator's {clientId: secret} file by client id, or a one-line file", () => {
    const json = join(dir, 'client-secrets.json');
    writeFileSync(json, JSON.stringify({ 'mobile-claim': 's3cret-from-json' }), { mode: 0o600 });
    expect(readClientSecretFile(json, 'mobile-claim')).toBe('s3cret-from-json');
    expect(() => readClientSecretFile(json, 'other')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: textContaining('no secret for other') }),
    );
    const line = join(dir, 'secret.txt');
    writeFileSync(line, 'keycloak-console-secret\n', { mode: 0o600 });
    expect(readClientSecretFile(line, 'mobile-claim')).toBe('keycloak-console-secret');
  });

  it('names the file, never its content, when it cannot be used', () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n');
    expect(() => readClientSecretFile(empty, 'x')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => readClientSecretFile(join(dir, 'missing'), 'x')).toThrow(/cannot be read \(ENOENT\)/);
  });
});
