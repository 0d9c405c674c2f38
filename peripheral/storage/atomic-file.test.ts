import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';
import { crashingFs, SimulatedCrash } from './crash-harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes with mode 0600 by default and replaces the old content', async () => {
    const path = join(dir, 'key.pem');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['key.pem']);
  });

  it('a crash at any operation leaves the old content or the new, never a mix', async () => {
    const path = join(dir, 'state');
    const counter = crashingFs(Number.POSITIVE_INFINITY);
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new', { fs: counter });
    const total = counter.operations;
    expect(total).toBe(6); // open, write, fsync, chmod, rename, fsync dir
    for (let n = 1; n <= total; n++) {
      await writeFile(path, 'old');
      const err = await writeFileAtomic(path, 'new', { fs: crashingFs(n) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimulatedCrash);
      // A crash AT an operation stops before it: the rename (op 5) is the commit point.
      expect(await readFile(path, 'utf8')).toBe(n <= 5 ? 'old' : 'new');
      await removeStaleTempFiles(dir);
      expect(await readdir(dir)).toEqual(['state']);
    }
  });
});

describe('a failed write leaves no temp file (no stray copy of a secret)', () => {
  it('async: a rename onto a directory fails with the original error and removes the temp file', async () => {
    const target = join(dir, 'taken');
    await mkdir(join(target, 'inside'), { recursive: true });
    const err = await writeFileAtomic(target, 'secret').catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/);
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('sync: writes 0600, replaces, and cleans up after a failed rename', async () => {
    const path = join(dir, 'verifier');
    writeFileAtomicSync(path, 'old');
    writeFileAtomicSync(path, new TextEncoder().encode('new'));
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const target = join(dir, 'taken');
    await mkdir(join(target, 'inside'), { recursive: true });
    expect(() => writeFileAtomicSync(target, 'secret')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect((await readdir(dir)).sort()).toEqual(['taken', 'verifier']);
  });
});
