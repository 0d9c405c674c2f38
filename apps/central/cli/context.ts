import { readFileSync } from 'node:fs';
import { ProvisioningError } from '../../../protocol/index.js';
import { Auth, defaultTokenCachePath, TokenCache } from '../../../central/auth/index.js';
import { configPath, loadCentralConfig } from '../../../central/config/index.js';
import type { CentralConfig } from '../../../central/config/index.js';

export interface GlobalOptions {
  config?: string;
  tokenCache?: string;
  /** Log in as this client instead of the config's (e.g. the seed's confidential `mobile-claim`). */
  clientId?: string;
  /** File holding that client's secret: one line, or the emulator's `{clientId: secret}` JSON. */
  clientSecretFile?: string;
}

/** Environment variables for the client: id, and its secret (value or file); never argv for the value. */
export const CLIENT_ID_ENV = 'CENTRAL_CLIENT_ID';
export const CLIENT_SECRET_ENV = 'CENTRAL_CLIENT_SECRET';
export const CLIENT_SECRET_FILE_ENV = 'CENTRAL_CLIENT_SECRET_FILE';

/** A client secret from a file: the emulator's JSON secrets file (by client id) or its first line. */
export function readClientSecretFile(path: string, clientId: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `client secret file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    });
  }
  if (text.trimStart().startsWith('{')) {
    const v = (JSON.parse(text) as Record<string, unknown>)[clientId];
    if (typeof v === 'string' && v.length > 0) return v;
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `client secret file ${path} has no secret for ${clientId}`,
    });
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length === 0)
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `client secret file ${path} must hold the secret on its first line`,
    });
  return line;
}

function clientSecret(
  config: CentralConfig,
  clientId: string,
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (env[CLIENT_SECRET_ENV]) return env[CLIENT_SECRET_ENV];
  const file =
    options.clientSecretFile ??
    env[CLIENT_SECRET_FILE_ENV] ??
    (config.oidc.passwordClient?.clientId === clientId ? config.oidc.passwordClient.clientSecretPath : undefined);
  return file !== undefined ? readClientSecretFile(file, clientId) : undefined;
}

/** What every command needs: the config and the login, built from the global options. */
export interface CommandContext {
  config: CentralConfig;
  auth: Auth;
  cache: TokenCache;
}

export function commandContext(options: GlobalOptions, env: NodeJS.ProcessEnv): CommandContext {
  const config = loadCentralConfig(configPath(options.config, env));
  const cache = new TokenCache(options.tokenCache ?? defaultTokenCachePath(env));
  const clientId = options.clientId ?? env[CLIENT_ID_ENV] ?? config.oidc.clientId;
  const secret = clientSecret(config, clientId, options, env);
  const auth = new Auth({
    issuer: config.oidc.issuer,
    clientId,
    scope: config.oidc.scope,
    cache,
    ...(secret !== undefined ? { clientSecret: secret } : {}),
  });
  return { config, auth, cache };
}
