/** Login for the phone side: see central/README.md, "Login". */
export { Auth, BROWSER_LOGIN_TIMEOUT_MS, PASSWORD_GRANT_TYPE, TOKEN_REFRESH_MARGIN_MS } from './auth.js';
export type { AuthOptions, DeviceCodePrompt, LogoutResult } from './auth.js';
export { discoverIssuer, isLoopbackUrl } from './issuer.js';
export { CALLBACK_PATH, startLoopbackReceiver } from './loopback.js';
export { openBrowser } from './open-browser.js';
export { defaultTokenCachePath, TOKEN_CACHE_ENV, TokenCache } from './token-cache.js';
export type { StoredTokens } from './tokens.js';
