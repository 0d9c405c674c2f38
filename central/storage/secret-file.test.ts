import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSecretFileSync } from './secret-file.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'central-secret-'));
  dirs.push(d);
  return d;
};

describe('writeSecretFileSync', () => {
  it('creates the directory 0700 and the file 0600, and replaces an existing file whole', () => {
    const dir = join(scratch(), 'claims');
    const path = join(dir, 'key.pem');
    writeSecretFileSync(path, 'first');
    writeSecretFileSync(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['key.pem']);
  });

  it('leaves no temp file behind when the rename fails', () => {
    const dir = scratch();
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'child'), { recursive: true });
    expect(() => writeSecretFileSync(path, 'secret')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
