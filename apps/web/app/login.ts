/**
 * Login in the browser: OpenID Connect authorization code with PKCE (S256) against the issuer of
 * config.json, the app's own page as redirect URI. Tokens live in sessionStorage only (gone with the
 * tab), are refreshed with the refresh token before the ID token runs out, and logout revokes the
 * refresh token. No token is ever logged or put in a URL the app builds.
 */
import { ProvisioningError } from '../../../protocol/index.js';

const TOKENS_KEY = 'tokens';
const PENDING_KEY = 'login-pending';
/** An ID token with less than this left is refreshed before it is handed to Cognito, ms. */
export const ID_TOKEN_MIN_REMAINING_MS = 60_000;

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
}

interface Tokens {
  idToken: string;
  refreshToken?: string;
  /** ID token expiry, ms since the epoch (its `exp`). */
  expiresAt: number;
  username: string;
}

export interface LoginOptions {
  issuer: string;
  clientId: string;
  scope: string;
  /** The app's page: where the provider sends the browser back. */
  redirectUri: string;
  storage?: Storage;
  now?: () => number;
  /** The network; the page's fetch by default (tests give a provider of their own). */
  fetch?: typeof fetch;
  /** Sends the browser to a URL; location.assign by default. */
  navigate?: (url: string) => void;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomText = (bytes: number): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** The claims of a JWT, unverified: Cognito verifies the signature; the app only reads exp and names. */
function jwtClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export class BrowserLogin {
  private discovery: Discovery | undefined;
  private readonly storage: Storage;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly navigate: (url: string) => void;

  constructor(private readonly options: LoginOptions) {
    this.storage = options.storage ?? sessionStorage;
    this.now = options.now ?? Date.now;
    // Called unbound, the page's fetch throws "Illegal invocation": wrapped, not stored bare.
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.navigate = options.navigate ?? ((url) => location.assign(url));
  }

  /** Who is logged in, or undefined. */
  get username(): string | undefined {
    return this.tokens()?.username;
  }

  /** Sends the browser to the provider's login page. */
  async start(): Promise<void> {
    const d = await this.endpoints();
    const verifier = randomText(32);
    const state = randomText(16);
    const nonce = randomText(16);
    const challenge = base64url(
      new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
    );
    this.storage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce }));
    const url = new URL(d.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: this.options.redirectUri,
      scope: this.options.scope,
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    this.navigate(url.href);
  }

  /**
   * Finishes a login when the page was opened by the provider's redirect (`?code=…&state=…`):
   * checks the state, trades the code, checks the nonce. Returns whether it did.
   */
  async finish(search: URLSearchParams): Promise<boolean> {
    if (!search.has('code') && !search.has('error')) return false;
    const pending = JSON.parse(this.storage.getItem(PENDING_KEY) ?? 'null') as {
      verifier: string;
      state: string;
      nonce: string;
    } | null;
    this.storage.removeItem(PENDING_KEY);
    if (search.has('error'))
      throw new ProvisioningError('LOGIN_FAILED', { detail: `the provider answered ${search.get('error')}` });
    if (!pending || search.get('state') !== pending.state)
      throw new ProvisioningError('LOGIN_FAILED', { detail: 'the login answer does not match a login started here' });
    const tokens = await this.tokenRequest({
      grant_type: 'authorization_code',
      code: search.get('code') ?? '',
      redirect_uri: this.options.redirectUri,
      code_verifier: pending.verifier,
    });
    if (jwtClaims(tokens.idToken).nonce !== pending.nonce)
      throw new ProvisioningError('LOGIN_FAILED', { detail: 'the ID token is not for this login (nonce)' });
    this.save(tokens);
    return true;
  }

  /** An ID token with at least a minute left, refreshed when needed; LOGIN_REQUIRED when there is none. */
  async idToken(): Promise<string> {
    const tokens = this.tokens();
    if (!tokens) throw new ProvisioningError('LOGIN_REQUIRED', { detail: 'not logged in' });
    if (tokens.expiresAt - this.now() >= ID_TOKEN_MIN_REMAINING_MS) return tokens.idToken;
    if (!tokens.refreshToken) throw new ProvisioningError('LOGIN_REQUIRED', { detail: 'the login has expired' });
    let fresh: Tokens;
    try {
      fresh = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
    } catch (err) {
      this.storage.removeItem(TOKENS_KEY);
      throw new ProvisioningError('LOGIN_REQUIRED', {
        detail: `the login could not be renewed: ${err instanceof ProvisioningError ? (err.detail ?? err.code) : 'error'}`,
      });
    }
    this.save({ ...fresh, refreshToken: fresh.refreshToken ?? tokens.refreshToken });
    return fresh.idToken;
  }

  /** Forgets the tokens and revokes the refresh token at the provider (best effort, said so). */
  async logout(): Promise<string | undefined> {
    const tokens = this.tokens();
    this.storage.removeItem(TOKENS_KEY);
    if (!tokens?.refreshToken) return undefined;
    const unrevoked = 'the provider could not be told to revoke the refresh token';
    // A network failure (the discovery's too, on a page loaded offline) is reported as a refusal is:
    // through the text returned to the caller; the person is logged out here all the same.
    const d = await this.endpoints().catch(() => undefined);
    if (!d) return unrevoked;
    if (!d.revocation_endpoint) return 'the provider offers no revocation: the refresh token lives until it expires';
    const res = await this.fetch(d.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refreshToken, client_id: this.options.clientId }),
    }).catch(() => undefined);
    return res?.ok ? undefined : unrevoked;
  }

  private tokens(): Tokens | undefined {
    const text = this.storage.getItem(TOKENS_KEY);
    return text ? (JSON.parse(text) as Tokens) : undefined;
  }

  private save(tokens: Tokens): void {
    this.storage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  }

  private async endpoints(): Promise<Discovery> {
    if (this.discovery) return this.discovery;
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await this.fetch(url).catch((err: unknown) => {
      throw new ProvisioningError('CLOUD_UNREACHABLE', { detail: `the identity provider at ${url}`, cause: err });
    });
    if (!res.ok) throw new ProvisioningError('CONFIG_INVALID', { detail: `discovery at ${url}: HTTP ${res.status}` });
    this.discovery = (await res.json()) as Discovery;
    return this.discovery;
  }

  private async tokenRequest(form: Record<string, string>): Promise<Tokens> {
    const d = await this.endpoints();
    const res = await this.fetch(d.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, client_id: this.options.clientId }),
    }).catch((err: unknown) => {
      throw new ProvisioningError('CLOUD_UNREACHABLE', { detail: 'the token endpoint', cause: err });
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || typeof body.id_token !== 'string')
      throw new ProvisioningError('LOGIN_FAILED', {
        detail:
          `the token endpoint answered HTTP ${res.status} ${typeof body.error === 'string' ? body.error : ''}`.trim(),
      });
    const claims = jwtClaims(body.id_token);
    return {
      idToken: body.id_token,
      ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
      expiresAt: Number(claims.exp) * 1000,
      username: [claims.preferred_username, claims.email, claims.sub].find((c) => typeof c === 'string') ?? '',
    };
  }
}
