import { readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeSecretFileSync } from '../storage/index.js';
import { isStoredTokens } from './tokens.js';
import type { StoredTokens } from './tokens.js';

/** Environment variable naming the token cache file. */
export const TOKEN_CACHE_ENV = 'CENTRAL_TOKEN_CACHE';

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
    writeSecretFileSync(this.path, `${JSON.stringify(tokens)}\n`);
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
