/**
 * Secrets of the confidential OIDC clients (Keycloak's "Client authentication: On"), generated on
 * first start and kept in `<identity dir>/client-secrets.json` (0600, written atomically), so they
 * survive restarts and never appear in a configuration file, argv or a log.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/index.js';

export const CLIENT_SECRETS_FILE = 'client-secrets.json';

/** Loads the secrets of `clientIds`, creating the missing ones; returns them and the file's path. */
export function loadOrCreateClientSecrets(
  dir: string,
  clientIds: readonly string[],
): { path: string; secrets: Map<string, string> } {
  const path = join(dir, CLIENT_SECRETS_FILE);
  const stored: Record<string, string> = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)
    : {};
  let changed = false;
  for (const id of clientIds) {
    if (typeof stored[id] === 'string' && stored[id].length >= 32) continue;
    // 256 bits, as Keycloak's generated client secrets (32 random bytes).
    stored[id] = randomBytes(32).toString('base64url');
    changed = true;
  }
  if (changed) writeFileAtomic(path, `${JSON.stringify(stored, null, 2)}\n`, 0o600);
  return { path, secrets: new Map(clientIds.map((id) => [id, stored[id] as string])) };
}

/** Reads one client's secret from a secrets file (for tests and the CLI's `--client-secret-file`). */
export function readClientSecret(path: string, clientId: string): string | undefined {
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const v = stored[clientId];
  return typeof v === 'string' ? v : undefined;
}
