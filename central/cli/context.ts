import { Auth } from '../auth/auth.js';
import { defaultTokenCachePath, TokenCache } from '../auth/token-cache.js';
import { configPath, loadCentralConfig } from '../config/config.js';
import type { CentralConfig } from '../config/config.js';

export interface GlobalOptions {
  config?: string;
  tokenCache?: string;
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
  const auth = new Auth({ issuer: config.oidc.issuer, clientId: config.oidc.clientId, scope: config.oidc.scope, cache });
  return { config, auth, cache };
}
