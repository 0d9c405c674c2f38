/**
 * Writes a file so that a crash or power cut leaves either the old content or the new, never half
 * of it: a temp file in the same directory (same file system, so rename is atomic), fsync the file,
 * rename over the target, fsync the directory so the rename itself is durable.
 */
import { randomBytes } from 'node:crypto';
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

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const mode = options.mode ?? SECRET_FILE_MODE;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  // open(…, mode) is filtered by the umask; chmod makes the mode exact.
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, path);
  await fsyncDir(dir, fs);
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

/** Removes temp files a crash left behind (`.name.xxxx.tmp`). */
export async function removeStaleTempFiles(dir: string, fs: FsOps = nodeFs): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) await fs.rm(join(dir, name), { force: true });
  }
}
