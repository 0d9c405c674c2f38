import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { Auth, TOKEN_REFRESH_MARGIN_MS } from '../../central/auth/auth.js';
import { TokenCache } from '../../central/auth/token-cache.js';
import { readClientSecretFile } from '../../apps/central/cli/context.js';
import { approveDeviceCode, signInThroughPages, startCentralFixture } from './fixture.js';
import type { CentralFixture } from './fixture.js';
import { textContaining } from '../matchers.js';

describe("central login against the emulator's OIDC provider", () => {
  let fx: CentralFixture;

  beforeAll(async () => {
    fx = await startCentralFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('logs in with the code flow + PKCE through the real login page to a loopback redirect, and caches 0600', async () => {
    const auth = fx.auth('code');
    let shown: URL | undefined;
    const tokens = await auth.loginWithBrowser(async (url) => {
      shown = url;
      await signInThroughPages(url, fx.username, fx.password);
    });
    expect(shown?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(shown?.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(tokens.subject).toBe(fx.username);
    expect(tokens.username).toBe(fx.username);
    expect(tokens.refreshToken).toBeTypeOf('string');
    const stored = auth.stored();
    expect(stored).toEqual(tokens);
  });

  it('writes the cache file with mode 0600 and reuses it until near expiry, then refreshes', async () => {
    let now = Date.now();
    const cachePath = `${fx.dir}/tokens/refresh.json`;
    const auth = new Auth({
      issuer: fx.config.oidc.issuer,
      clientId: fx.config.oidc.clientId,
      scope: fx.config.oidc.scope,
      cache: new TokenCache(cachePath),
      now: () => now,
    });
    const first = await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
    expect(statSync(cachePath).mode & 0o777).toBe(0o600);
    expect(readFileSync(cachePath, 'utf8')).toContain(first.refreshToken!);

    // Plenty of life left: the cached tokens come back untouched.
    expect(await auth.tokens()).toEqual(first);

    // Inside the refresh margin: refreshed, rotated and saved back (still 0600).
    now = first.expiresAt - TOKEN_REFRESH_MARGIN_MS + 1;
    const refreshed = await auth.tokens();
    expect(refreshed.refreshToken).toBeTypeOf('string');
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect(refreshed.subject).toBe(fx.username);
    expect(new TokenCache(cachePath).read()).toEqual(refreshed);
    expect(statSync(cachePath).mode & 0o777).toBe(0o600);
  });

  it('logs in with the device authorization grant, approved on the verification page', async () => {
    const auth = fx.auth('device');
    let userCode = '';
    const tokens = await auth.loginWithDeviceCode(async (prompt) => {
      userCode = prompt.userCode;
      expect(prompt.verificationUri).toBe(`${fx.config.oidc.issuer}/device`);
      await approveDeviceCode(prompt.verificationUriComplete!, prompt.userCode, fx.username, fx.password);
    });
    expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(tokens.subject).toBe(fx.username);
    expect(auth.stored()?.idToken).toBe(tokens.idToken);
  });

  it('logs in as the seed did: password grant with the confidential client and its secret from a file', async () => {
    const pc = fx.config.oidc.passwordClient!;
    const secret = readClientSecretFile(pc.clientSecretPath, pc.clientId);
    const auth = new Auth({
      issuer: fx.config.oidc.issuer,
      clientId: pc.clientId,
      clientSecret: secret,
      scope: fx.config.oidc.scope,
      cache: new TokenCache(join(fx.emulator.dataDir, '..', 'tokens', 'seed.json')),
    });
    expect(await auth.passwordGrantAllowed()).toBe(true);
    const tokens = await auth.loginWithPassword(fx.username, fx.password);
    expect(tokens.subject).toBe(fx.username);
    // The default client on the same cache is not logged in, and is told which client is.
    const defaultClient = new Auth({
      issuer: fx.config.oidc.issuer,
      clientId: fx.config.oidc.clientId,
      scope: fx.config.oidc.scope,
      cache: new TokenCache(join(fx.emulator.dataDir, '..', 'tokens', 'seed.json')),
    });
    await expect(defaultClient.tokens()).rejects.toMatchObject({
      code: 'LOGIN_REQUIRED',
      detail: textContaining(`client ${pc.clientId}'s, not ${fx.config.oidc.clientId}'s (give --client-id`),
    });
    await expect(auth.loginWithPassword(fx.username, 'wrong')).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
    // The public client has no direct access grants: refused by the provider (unauthorized_client).
    const publicAuth = fx.auth('password');
    await expect(publicAuth.loginWithPassword(fx.username, fx.password)).rejects.toMatchObject({
      code: 'LOGIN_FAILED',
    });
    // A wrong secret is invalid_client.
    const wrong = new Auth({
      issuer: fx.config.oidc.issuer,
      clientId: pc.clientId,
      clientSecret: 'nope',
      scope: fx.config.oidc.scope,
      cache: new TokenCache(join(fx.emulator.dataDir, '..', 'tokens', 'wrong.json')),
    });
    await expect(wrong.loginWithPassword(fx.username, fx.password)).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
  });

  it('logs out: revokes the refresh token, gives the end-session URL and deletes the cache', async () => {
    const auth = fx.auth('logout');
    const tokens = await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
    const result = await auth.logout();
    expect(result.wasLoggedIn).toBe(true);
    expect(result.revoked).toBe(true);
    const endSession = new URL(result.endSessionUrl!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(
      (await auth.provider()).serverMetadata().end_session_endpoint,
    );
    expect(endSession.searchParams.get('client_id')).toBe(fx.config.oidc.clientId);
    expect(result.endSessionUrl).not.toContain(tokens.idToken.split('.')[1]!);
    expect(auth.stored()).toBeUndefined();
    await expect(auth.tokens()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
    const provider = await auth.provider();
    await expect(client.refreshTokenGrant(provider, tokens.refreshToken!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await auth.logout()).toEqual({ wasLoggedIn: false, revoked: false });
  });

  it('treats a missing, corrupt or foreign cache as not logged in', async () => {
    const auth = fx.auth('corrupt');
    await expect(auth.tokens()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
    writeFileSync(`${fx.dir}/tokens/corrupt.json`, '{not json', { mode: 0o600 });
    await expect(auth.tokens()).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
    const other = new Auth({
      issuer: 'http://127.0.0.1:9/realms/other',
      clientId: fx.config.oidc.clientId,
      scope: 'openid',
      cache: new TokenCache(`${fx.dir}/tokens/code.json`),
    });
    expect(other.stored()).toBeUndefined();
  });

  it('allows plain http only for loopback issuers', async () => {
    const auth = new Auth({
      issuer: 'http://idp.example.com/realms/fleet',
      clientId: 'x',
      scope: 'openid',
      cache: new TokenCache(`${fx.dir}/tokens/x.json`),
    });
    await expect(auth.provider()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
