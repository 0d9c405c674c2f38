import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { defaultConfig, DEMO_PASSWORD, DEMO_USERNAME, DEFAULT_CLIENT_ID } from '../../cloud/emulator/config/schema.js';
import { startIdentity } from '../../cloud/emulator/identity/index.js';
import type { RunningIdentity } from '../../cloud/emulator/identity/index.js';
import type { AwsCredentialRecord, CredentialStore } from '../../cloud/emulator/contracts/index.js';
import { parseForm, TestBrowser } from '../../demo/browser.js';
import { codeFlowLogin, deviceGrantLogin, discover, startLoopbackReceiver } from './login.js';

class MapStore implements CredentialStore {
  readonly records = new Map<string, AwsCredentialRecord>();
  put(r: AwsCredentialRecord): void {
    this.records.set(r.accessKeyId, r);
  }
  get(id: string): AwsCredentialRecord | undefined {
    return this.records.get(id);
  }
  delete(id: string): void {
    this.records.delete(id);
  }
}

describe('OIDC provider (oidc-provider behind a Keycloak-like realm path)', () => {
  let dir: string;
  let identity: RunningIdentity;
  let config: client.Configuration;

  const start = async (): Promise<RunningIdentity> =>
    startIdentity({
      dataDir: dir,
      config: defaultConfig(),
      credentials: new MapStore(),
      host: '127.0.0.1',
      ports: { oidc: 0, cognito: 0 },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oidc-test-'));
    identity = await start();
    config = await discover(identity.issuer, DEFAULT_CLIENT_ID);
  });
  afterAll(async () => {
    await identity?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes discovery at the realm path with PKCE S256, the device grant and refresh tokens', () => {
    const meta = config.serverMetadata();
    expect(identity.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/fleet$/);
    expect(meta.issuer).toBe(identity.issuer);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.device_authorization_endpoint).toBe(`${identity.issuer}/protocol/openid-connect/auth/device`);
    expect(meta.token_endpoint).toBe(`${identity.issuer}/protocol/openid-connect/token`);
    expect(meta.jwks_uri).toBe(`${identity.issuer}/protocol/openid-connect/certs`);
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']),
    );
    // The password grant exists for clients with direct access grants only (keycloak-compat.test.ts).
    expect(meta.grant_types_supported).toContain('password');
    expect(meta.introspection_endpoint).toBe(`${identity.issuer}/protocol/openid-connect/token/introspect`);
    expect(meta.id_token_signing_alg_values_supported).toContain('RS256');
  });

  it('keeps its signing key and database in the data dir, owner-only', () => {
    expect(statSync(join(dir, 'oidc-keys.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'identity.sqlite')).isFile()).toBe(true);
  });

  it('runs the code flow with PKCE through the real login page to a loopback redirect on any port', async () => {
    const { tokens } = await codeFlowLogin(config, DEMO_USERNAME, DEMO_PASSWORD);
    const claims = tokens.claims();
    expect(claims?.iss).toBe(identity.issuer);
    expect(claims?.sub).toBe(DEMO_USERNAME);
    expect(claims?.aud).toBe(DEFAULT_CLIENT_ID);
    expect(claims?.preferred_username).toBe(DEMO_USERNAME);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('refreshes tokens and rotates the refresh token (the old one stops working)', async () => {
    const { tokens } = await codeFlowLogin(config, DEMO_USERNAME, DEMO_PASSWORD);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(DEMO_USERNAME);
    expect(refreshed.refresh_token).toBeTypeOf('string');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('shows the login page again on a wrong password and signs in on the right one', async () => {
    const receiver = await startLoopbackReceiver();
    try {
      const browser = new TestBrowser();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: receiver.redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const page = await browser.get(url.href);
      expect(page.html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i); // no external assets
      const form = parseForm(page.html, page.url, '/login');
      const wrong = await browser.post(form.action, { ...form.fields, username: DEMO_USERNAME, password: 'wrong' });
      expect(wrong.status).toBe(401);
      expect(wrong.html).toContain('Invalid username or password.');
      const forged = await browser.post(form.action, {
        csrf: 'forged',
        username: DEMO_USERNAME,
        password: DEMO_PASSWORD,
      });
      expect(forged.status).toBe(403);
      const again = parseForm(wrong.html, wrong.url, '/login');
      const ok = await browser.post(again.action, {
        ...again.fields,
        username: DEMO_USERNAME,
        password: DEMO_PASSWORD,
      });
      expect(ok.status).toBe(200);
      const callback = await receiver.received;
      expect(callback.searchParams.get('code')).toBeTruthy();
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
      expect(tokens.claims()?.sub).toBe(DEMO_USERNAME);
    } finally {
      await receiver.close();
    }
  });

  it('refuses an authorization request without PKCE and an unregistered redirect URI', async () => {
    const browser = new TestBrowser();
    const noPkce = new URL(config.serverMetadata().authorization_endpoint!);
    noPkce.search = new URLSearchParams({
      client_id: DEFAULT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'http://127.0.0.1:9/callback',
    }).toString();
    const r1 = await browser.get(noPkce.href, (u) => u.port === '9');
    expect(new URL(r1.url).searchParams.get('error')).toBe('invalid_request');
    const badRedirect = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:9/elsewhere',
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    const r2 = await browser.get(badRedirect.href);
    expect(r2.status).toBe(400);
    expect(r2.html).toContain('redirect_uri did not match');
  });

  it('runs the device authorization grant, approved on the verification page', async () => {
    const tokens = await deviceGrantLogin(config, DEMO_USERNAME, DEMO_PASSWORD);
    expect(tokens.claims()?.sub).toBe(DEMO_USERNAME);
    expect(tokens.refresh_token).toBeTypeOf('string');
  });

  it('keeps keys, sessions and refresh tokens across a restart', async () => {
    const { tokens } = await codeFlowLogin(config, DEMO_USERNAME, DEMO_PASSWORD);
    const kid = decodeProtectedHeader(tokens.id_token!).kid;
    const port = identity.oidcPort;
    await identity.close();
    identity = await startIdentity({
      dataDir: dir,
      config: defaultConfig(),
      credentials: new MapStore(),
      host: '127.0.0.1',
      ports: { oidc: port, cognito: 0 },
    });
    // The first request may land on a keep-alive socket the old server closed: one retry.
    const again = await discover(identity.issuer, DEFAULT_CLIENT_ID).catch(() =>
      discover(identity.issuer, DEFAULT_CLIENT_ID),
    );
    const refreshed = await client.refreshTokenGrant(again, tokens.refresh_token!);
    expect(decodeProtectedHeader(refreshed.id_token!).kid).toBe(kid);
    expect(decodeJwt(refreshed.id_token!).sub).toBe(DEMO_USERNAME);
  });
});
