/**
 * The web app's login (BrowserLogin) against a provider of the test's own that checks what an
 * OpenID provider checks: the PKCE verifier against the S256 challenge of the authorization
 * request, the redirect URI, the client, single-use codes, live refresh tokens; it revokes. The
 * browser's pieces are injected: storage (a Map), the clock, the network and the navigation.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isProvisioningError } from '../../../protocol/index.js';
import { requestUrl } from '../../../test/support/request-url.js';
import { BrowserLogin, ID_TOKEN_MIN_REMAINING_MS } from './login.js';

const ISSUER = 'https://id.example.test/realms/fleet';
const CLIENT_ID = 'provisioning-web';
const REDIRECT = 'http://localhost:4583/';
const SCOPE = 'openid profile email';
const T0 = 1_900_000_000_000;
const ID_TOKEN_LIFETIME_S = 300;

const b64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');
/** An unsigned JWT: the app reads its claims, Cognito checks the signature. */
const jwt = (claims: Record<string, unknown>): string =>
  `${b64url(JSON.stringify({ alg: 'RS256' }))}.${b64url(JSON.stringify(claims))}.c2ln`;

class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

interface Grant {
  challenge: string;
  method: string;
  nonce: string;
  redirectUri: string;
}

/** The OpenID provider: discovery, authorization (as the login page would answer), token, revocation. */
class Provider {
  now = T0;
  offline = false;
  revocation = true;
  /** Every request: URL and form. */
  readonly requests: Array<{ url: string; form: URLSearchParams }> = [];
  readonly revoked: string[] = [];
  private readonly codes = new Map<string, Grant>();
  /** The provider ends every session (an administrator, an expired SSO session). */
  endSessions(): void {
    this.refreshTokens.clear();
  }

  private readonly refreshTokens = new Set<string>();
  private issued = 0;

  /** The person logs in on the provider's page: returns the redirect's query. */
  authorize(url: string): URLSearchParams {
    const q = new URL(url).searchParams;
    const code = `code-${++this.issued}`;
    this.codes.set(code, {
      challenge: q.get('code_challenge') ?? '',
      method: q.get('code_challenge_method') ?? '',
      nonce: q.get('nonce') ?? '',
      redirectUri: q.get('redirect_uri') ?? '',
    });
    return new URLSearchParams({ code, state: q.get('state') ?? '' });
  }

  readonly fetch: typeof fetch = (input, init) => {
    const url = requestUrl(input);
    const body = init?.body;
    const form = body instanceof URLSearchParams ? body : new URLSearchParams(typeof body === 'string' ? body : '');
    this.requests.push({ url, form });
    if (this.offline) return Promise.reject(new TypeError('Failed to fetch'));
    if (url === `${ISSUER}/.well-known/openid-configuration`)
      return Promise.resolve(
        Response.json({
          authorization_endpoint: `${ISSUER}/auth`,
          token_endpoint: `${ISSUER}/token`,
          ...(this.revocation ? { revocation_endpoint: `${ISSUER}/revoke` } : {}),
        }),
      );
    if (url === `${ISSUER}/token`) return Promise.resolve(this.token(form));
    if (url === `${ISSUER}/revoke`) {
      this.revoked.push(form.get('token') ?? '');
      return Promise.resolve(
        new Response(null, { status: this.refreshTokens.delete(form.get('token') ?? '') ? 200 : 400 }),
      );
    }
    return Promise.resolve(new Response(null, { status: 404 }));
  };

  private token(form: URLSearchParams): Response {
    const refuse = (error: string): Response => Response.json({ error }, { status: 400 });
    if (form.get('client_id') !== CLIENT_ID) return refuse('invalid_client');
    let nonce: string | undefined;
    if (form.get('grant_type') === 'authorization_code') {
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!grant || grant.redirectUri !== form.get('redirect_uri')) return refuse('invalid_grant');
      const verifier = form.get('code_verifier') ?? '';
      if (grant.method !== 'S256' || b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge)
        return refuse('invalid_grant');
      nonce = grant.nonce;
    } else if (form.get('grant_type') === 'refresh_token') {
      if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) return refuse('invalid_grant');
    } else return refuse('unsupported_grant_type');
    const refreshToken = `refresh-${++this.issued}`;
    this.refreshTokens.add(refreshToken);
    const exp = Math.floor(this.now / 1000) + ID_TOKEN_LIFETIME_S;
    const idToken = jwt({ sub: 'u-1', preferred_username: 'zoë', exp, ...(nonce !== undefined ? { nonce } : {}) });
    return Response.json({ id_token: idToken, refresh_token: refreshToken, token_type: 'Bearer' });
  }
}

interface Tab {
  provider: Provider;
  storage: MemoryStorage;
  login: BrowserLogin;
  visited: string[];
}

/** The app loaded in a tab (again: the same storage and provider, a new page). */
function setUp(provider = new Provider(), storage = new MemoryStorage()): Tab {
  const visited: string[] = [];
  const login = new BrowserLogin({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    scope: SCOPE,
    redirectUri: REDIRECT,
    storage,
    now: () => provider.now,
    fetch: provider.fetch,
    navigate: (url) => visited.push(url),
  });
  return { provider, storage, login, visited };
}

/** A whole login: start, the provider's page, the redirect back. */
async function loggedIn(): Promise<Tab> {
  const s = setUp();
  await s.login.start();
  expect(await s.login.finish(s.provider.authorize(s.visited[0]!))).toBe(true);
  return s;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProvisioningError(err)) throw new Error(`expected a ProvisioningError, got ${String(err)}`);
  return err.code;
}

describe('BrowserLogin: authorization code with PKCE', () => {
  it('sends the browser to the provider with an S256 challenge, a fresh state and nonce', async () => {
    const { login, visited, storage } = setUp();
    await login.start();
    await login.start();
    const [first, second] = visited.map((u) => new URL(u));
    expect(`${first!.origin}${first!.pathname}`).toBe(`${ISSUER}/auth`);
    const q = first!.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      scope: SCOPE,
      code_challenge_method: 'S256',
    });
    // 32 random bytes, base64url: 43 characters of RFC 7636's alphabet; 16 for state and nonce.
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(q.get('nonce')).not.toBe(q.get('state'));
    for (const name of ['code_challenge', 'state', 'nonce'])
      expect(second!.searchParams.get(name)).not.toBe(q.get(name));
    // The verifier stays in this tab's storage, never in the URL; the latest login is the pending one.
    const pending = JSON.parse(storage.getItem('login-pending') ?? '{}') as { verifier: string; state: string };
    expect(second!.searchParams.get('state')).toBe(pending.state);
    expect(second!.search).not.toContain(pending.verifier);
    expect(b64url(createHash('sha256').update(pending.verifier).digest())).toBe(
      second!.searchParams.get('code_challenge'),
    );
  });

  it('trades the code with the verifier, keeps the tokens in storage and knows the user', async () => {
    const { login, provider, storage } = await loggedIn();
    const trade = provider.requests.find((r) => r.url === `${ISSUER}/token`)!;
    expect(trade.form.get('grant_type')).toBe('authorization_code');
    expect(trade.form.get('redirect_uri')).toBe(REDIRECT);
    expect(login.username).toBe('zoë');
    expect(storage.getItem('login-pending')).toBeNull();
    const saved = JSON.parse(storage.getItem('tokens') ?? '{}') as { expiresAt: number };
    expect(saved.expiresAt).toBe((Math.floor(T0 / 1000) + ID_TOKEN_LIFETIME_S) * 1000);
    expect(await login.idToken()).toMatch(/^ey/);
  });

  it('a page opened without a code is not a login answer', async () => {
    const { login, provider } = setUp();
    expect(await login.finish(new URLSearchParams('x=1'))).toBe(false);
    expect(provider.requests).toEqual([]);
  });

  it('refuses an answer whose state is not the pending login: LOGIN_FAILED, no code traded', async () => {
    const { login, provider, visited, storage } = setUp();
    await login.start();
    const answer = provider.authorize(visited[0]!);
    answer.set('state', 'forged');
    expect(await codeOf(login.finish(answer))).toBe('LOGIN_FAILED');
    expect(provider.requests.some((r) => r.url.endsWith('/token'))).toBe(false);
    expect(storage.getItem('tokens')).toBeNull();
    // The pending login is used up: the genuine answer arriving after is refused too.
    answer.set('state', new URL(visited[0]!).searchParams.get('state')!);
    expect(await codeOf(login.finish(answer))).toBe('LOGIN_FAILED');
  });

  it('an error from the provider is LOGIN_FAILED naming it', async () => {
    const { login } = setUp();
    await login.start();
    const err: unknown = await login
      .finish(new URLSearchParams({ error: 'access_denied', state: 'x' }))
      .catch((e: unknown) => e);
    expect(isProvisioningError(err) && err.code === 'LOGIN_FAILED' && err.detail).toContain('access_denied');
  });

  it('refuses an ID token with another nonce (a token for another login)', async () => {
    const { login, provider, visited, storage } = setUp();
    await login.start();
    const url = new URL(visited[0]!);
    url.searchParams.set('nonce', 'someone-else');
    expect(await codeOf(login.finish(provider.authorize(url.href)))).toBe('LOGIN_FAILED');
    expect(storage.getItem('tokens')).toBeNull();
    expect(login.username).toBeUndefined();
  });

  it('a code the provider refuses (wrong verifier) is LOGIN_FAILED with its error', async () => {
    const { login, provider, visited, storage } = setUp();
    await login.start();
    const answer = provider.authorize(visited[0]!);
    const pending = JSON.parse(storage.getItem('login-pending')!) as { verifier: string };
    storage.setItem('login-pending', JSON.stringify({ ...pending, verifier: `${pending.verifier}x` }));
    const err: unknown = await login.finish(answer).catch((e: unknown) => e);
    expect(isProvisioningError(err) && err.code === 'LOGIN_FAILED' && err.detail).toContain('invalid_grant');
  });

  it('a provider that cannot be reached is CLOUD_UNREACHABLE', async () => {
    const { login, provider } = setUp();
    provider.offline = true;
    expect(await codeOf(login.start())).toBe('CLOUD_UNREACHABLE');
  });
});

describe('BrowserLogin: refresh', () => {
  it('hands out the ID token as it is while a minute or more is left', async () => {
    const { login, provider } = await loggedIn();
    const token = await login.idToken();
    provider.now = T0 + ID_TOKEN_LIFETIME_S * 1000 - ID_TOKEN_MIN_REMAINING_MS;
    const before = provider.requests.length;
    expect(await login.idToken()).toBe(token);
    expect(provider.requests.length).toBe(before);
  });

  it('refreshes it with the refresh token when less than a minute is left', async () => {
    const { login, provider, storage } = await loggedIn();
    const old = JSON.parse(storage.getItem('tokens')!) as { idToken: string; refreshToken: string };
    provider.now = T0 + ID_TOKEN_LIFETIME_S * 1000 - ID_TOKEN_MIN_REMAINING_MS + 1;
    const fresh = await login.idToken();
    expect(fresh).not.toBe(old.idToken);
    const refresh = provider.requests.at(-1)!;
    expect(Object.fromEntries(refresh.form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: old.refreshToken,
      client_id: CLIENT_ID,
    });
    const saved = JSON.parse(storage.getItem('tokens')!) as { idToken: string; expiresAt: number };
    expect(saved.idToken).toBe(fresh);
    expect(saved.expiresAt).toBe((Math.floor(provider.now / 1000) + ID_TOKEN_LIFETIME_S) * 1000);
    expect(login.username).toBe('zoë');
  });

  it('a refresh the provider refuses forgets the login: LOGIN_REQUIRED', async () => {
    const { login, provider, storage } = await loggedIn();
    provider.endSessions();
    provider.now = T0 + ID_TOKEN_LIFETIME_S * 1000;
    expect(await codeOf(login.idToken())).toBe('LOGIN_REQUIRED');
    expect(provider.requests.at(-1)!.form.get('grant_type')).toBe('refresh_token');
    expect(storage.getItem('tokens')).toBeNull();
    expect(login.username).toBeUndefined();
  });

  it('not logged in, or expired without a refresh token: LOGIN_REQUIRED without asking the provider', async () => {
    const { login, provider, storage } = setUp();
    expect(await codeOf(login.idToken())).toBe('LOGIN_REQUIRED');
    storage.setItem('tokens', JSON.stringify({ idToken: jwt({}), expiresAt: T0, username: 'zoë' }));
    expect(await codeOf(login.idToken())).toBe('LOGIN_REQUIRED');
    expect(provider.requests).toEqual([]);
  });
});

describe('BrowserLogin: logout', () => {
  it('forgets the tokens and revokes the refresh token', async () => {
    const { login, provider, storage } = await loggedIn();
    const { refreshToken } = JSON.parse(storage.getItem('tokens')!) as { refreshToken: string };
    expect(await login.logout()).toBeUndefined();
    expect(storage.length).toBe(0);
    expect(provider.revoked).toEqual([refreshToken]);
    expect(provider.requests.at(-1)!.form.get('client_id')).toBe(CLIENT_ID);
    expect(login.username).toBeUndefined();
  });

  it('says so when the revocation is refused, cannot be sent or is not offered; the tokens are gone anyway', async () => {
    for (const trouble of ['refused', 'offline', 'no endpoint'] as const) {
      const tab = await loggedIn();
      const { provider, storage } = tab;
      if (trouble === 'refused') provider.endSessions();
      if (trouble === 'offline') provider.offline = true;
      if (trouble === 'no endpoint') provider.revocation = false;
      // The person logs out later, from a newly loaded page (which reads the provider's discovery again).
      const { login } = setUp(provider, storage);
      expect(await login.logout()).toMatch(/revoke|revocation/);
      expect(storage.getItem('tokens')).toBeNull();
    }
  });
});
