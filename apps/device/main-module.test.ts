import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isMainModule } from './main-module.js';

const dir = mkdtempSync(join(tmpdir(), 'main-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'cli.js');
writeFileSync(file, '');
const link = join(dir, 'tp-device');
symlinkSync(file, link);
const url = pathToFileURL(file).href;

describe('isMainModule', () => {
  it('is the started file, also through a bin link', () => {
    expect(isMainModule(url, file)).toBe(true);
    expect(isMainModule(url, link)).toBe(true);
  });

  it('is not another file, nothing on disk, or no argv[1]', () => {
    expect(isMainModule(url, join(dir, '..'))).toBe(false);
    expect(isMainModule(url, join(dir, 'missing'))).toBe(false);
    expect(isMainModule(url, undefined)).toBe(false);
  });
});
