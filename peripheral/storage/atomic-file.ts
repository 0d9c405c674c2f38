/**
 * The device's one way to write a file that holds a key, a token, a certificate or a counter: a
 * crash or power cut leaves either the old content or the new, never half of it, and no stray copy
 * of a secret. A temp file in the same directory (same file system, so rename is atomic) opened
 * with the final mode, every byte written, fsync, chmod to the exact mode (umask can only narrow
 * open's mode), rename over the target, fsync the directory so the rename itself is durable. A
 * failure removes the temp file and rethrows the original error.
 *
 * Two variants: async (storage, agent, Wi-Fi, access point; injectable `FsOps` so the crash
 * harness can cut power at any operation) and sync (setup code and attempt counter, written from
 * synchronous code paths).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FsOps } from './fs-ops.js';
import { nodeFs } from './fs-ops.js';

/** Mode for every file that holds a key, a token or a certificate. */
export const SECRET_FILE_MODE = 0o600;
/** Mode for directories that hold such files. */
export const SECRET_DIR_MODE = 0o700;

export interface WriteFileAtomicOptions {
  mode?: number;
  fs?: FsOps;
}

/** `.name.<random>.tmp` beside the target: hidden, unique, and what removeStaleTempFiles sweeps. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const mode = options.mode ?? SECRET_FILE_MODE;
  const tmp = tempPathFor(path);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (err) {
    // A temp file this rm leaves (it fails, or a power cut stops it) is what removeStaleTempFiles
    // sweeps at the next start; the caller needs the write's own error, not the rm's.
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path), fs);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = SECRET_FILE_MODE): void {
  const tmp = tempPathFor(path);
  const bytes = toBytes(data);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      // writeSync may write fewer bytes than asked; loop until all are down.
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirSync(dirname(path));
}

/** Makes a rename or unlink in `dir` durable. */
export async function fsyncDir(dir: string, fs: FsOps = nodeFs): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes temp files a crash left behind (`.name.xxxx.tmp`). */
export async function removeStaleTempFiles(dir: string, fs: FsOps = nodeFs): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) await fs.rm(join(dir, name), { force: true });
  }
}
