import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isStoredTokens } from './tokens.js';
import type { StoredTokens } from './tokens.js';

/** Environment variable naming the token cache file. */
export const TOKEN_CACHE_ENV = 'CENTRAL_TOKEN_CACHE';
export const TOKEN_CACHE_FILE_MODE = 0o600;
export const TOKEN_CACHE_DIR_MODE = 0o700;

/** $CENTRAL_TOKEN_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/trusted-provisioning/central-tokens.json. */
export function defaultTokenCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env[TOKEN_CACHE_ENV]) return env[TOKEN_CACHE_ENV];
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'trusted-provisioning', 'central-tokens.json');
}

/**
 * The login kept on disk: one JSON file, mode 0600, replaced atomically (temp file + fsync +
 * rename + directory fsync) so a crash leaves the old or the new login, never half of one.
 */
export class TokenCache {
  constructor(readonly path: string) {}

  /** The stored login, or undefined when there is none or the file is unreadable/corrupt. */
  read(): StoredTokens | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const value: unknown = JSON.parse(text);
      return isStoredTokens(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  write(tokens: StoredTokens): void {
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: TOKEN_CACHE_DIR_MODE });
    const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(temp, 'wx', TOKEN_CACHE_FILE_MODE);
    try {
      writeSync(fd, `${JSON.stringify(tokens)}\n`);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(temp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(temp, this.path);
    syncDir(dir);
  }

  /** Removes the login; true if there was a file. */
  delete(): boolean {
    try {
      rmSync(this.path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
