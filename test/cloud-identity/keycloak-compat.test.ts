/**
 * The OIDC provider as a client written for Keycloak sees it (the seed's python-keycloak requests,
 * sent here with fetch): password grant for a confidential client with "direct access grants",
 * JWT access tokens and ID tokens with Keycloak's claims, introspection, PAR's path, the realm's
 * public info and the legacy `/auth` prefix; then Cognito accepting the access token as AWS does.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  CognitoIdentityClient,
} from '@aws-sdk/client-cognito-identity';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../cloud/emulator/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { readClientSecret } from '../../cloud/emulator/identity/client-secrets.js';
import { atHash } from '../../cloud/emulator/identity/keycloak-shape.js';
import { codeFlowLogin, discover } from './login.js';

let dir: string;
let cloud: RunningEmulator;
let secret: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keycloak-compat-'));
  cloud = await startEmulator({ dataDir: dir, ports: { iot: 0, mqtt: 0, oidc: 0, cognito: 0 } });
  const pc = cloud.cloudJson.oidc.passwordClient!;
  expect(pc.clientId).toBe('mobile-claim');
  expect(statSync(pc.clientSecretPath).mode & 0o777).toBe(0o600);
  secret = readClientSecret(pc.clientSecretPath, pc.clientId)!;
});
afterAll(async () => {
  await cloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What python-keycloak's `KeycloakOpenID.token(username, password)` posts. */
function passwordGrant(form: Record<string, string>, base = cloud.endpoints.oidcIssuer): Promise<Response> {
  return fetch(`${base}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', scope: 'openid', ...form }),
  });
}

const DEMO = { username: 'demo', password: 'demo-password' };

describe('Keycloak shape', () => {
  it('offers the password grant to the confidential client with direct access grants, and only to it', async () => {
    const discovery = (await (
      await fetch(`${cloud.endpoints.oidcIssuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.grant_types_supported).toContain('password');
    expect(discovery.introspection_endpoint).toBe(
      `${cloud.endpoints.oidcIssuer}/protocol/openid-connect/token/introspect`,
    );
    expect(discovery.pushed_authorization_request_endpoint).toBe(
      `${cloud.endpoints.oidcIssuer}/protocol/openid-connect/ext/par/request`,
    );

    const ok = await passwordGrant({ client_id: 'mobile-claim', client_secret: secret, ...DEMO });
    expect(ok.status).toBe(200);
    const wrongSecret = await passwordGrant({ client_id: 'mobile-claim', client_secret: 'nope', ...DEMO });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const wrongPassword = await passwordGrant({
      client_id: 'mobile-claim',
      client_secret: secret,
      username: 'demo',
      password: 'wrong',
    });
    expect(wrongPassword.status).toBe(400);
    expect(await wrongPassword.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid user credentials',
    });
    // The public PKCE client has no direct access grants, as a Keycloak client with them off.
    const publicClient = await passwordGrant({ client_id: 'provisioning-app', ...DEMO });
    expect(await publicClient.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it("issues JWT access tokens and ID tokens with Keycloak's claims, introspectable", async () => {
    const res = await passwordGrant({ client_id: 'mobile-claim', client_secret: secret, ...DEMO });
    const body = (await res.json()) as Record<string, string | number>;
    expect(body).toMatchObject({ token_type: 'Bearer', 'not-before-policy': 0, scope: 'openid' });
    const access = decodeJwt(String(body.access_token));
    expect(decodeProtectedHeader(String(body.access_token))).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(access).toMatchObject({
      iss: cloud.endpoints.oidcIssuer,
      aud: 'account',
      azp: 'mobile-claim',
      typ: 'Bearer',
      sub: 'demo',
      preferred_username: 'demo',
      sid: body.session_state,
      session_state: body.session_state,
    });
    const id = decodeJwt(String(body.id_token));
    expect(id).toMatchObject({
      iss: cloud.endpoints.oidcIssuer,
      aud: 'mobile-claim',
      azp: 'mobile-claim',
      typ: 'ID',
      sub: 'demo',
      sid: body.session_state,
      session_state: body.session_state,
    });
    expect(id.auth_time).toBeTypeOf('number');
    expect(id.at_hash).toBe(atHash(String(body.access_token)));

    const introspected = await fetch(`${cloud.endpoints.oidcIssuer}/protocol/openid-connect/token/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: String(body.access_token), client_id: 'mobile-claim', client_secret: secret }),
    });
    expect(introspected.status).toBe(200);
    expect(await introspected.json()).toMatchObject({ active: true, sub: 'demo' });

    const refreshed = await fetch(`${cloud.endpoints.oidcIssuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: String(body.refresh_token),
        client_id: 'mobile-claim',
        client_secret: secret,
      }),
    });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(String(((await refreshed.json()) as Record<string, unknown>).access_token))).toMatchObject({
      azp: 'mobile-claim',
      aud: 'account',
    });
  });

  it("gives the public client's code flow the same JWT access token and ID token claims", async () => {
    const config = await discover(cloud.endpoints.oidcIssuer, 'provisioning-app');
    const { tokens } = await codeFlowLogin(config, DEMO.username, DEMO.password);
    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({
      aud: 'account',
      azp: 'provisioning-app',
      typ: 'Bearer',
      preferred_username: 'demo',
    });
    const id = decodeJwt(tokens.id_token!);
    expect(id).toMatchObject({
      aud: 'provisioning-app',
      azp: 'provisioning-app',
      typ: 'ID',
      at_hash: atHash(tokens.access_token),
    });
    expect(id.auth_time).toBeTypeOf('number');
    expect(id.sid).toBeTypeOf('string');
    expect(id.session_state).toBe(id.sid);
    expect(access.sid).toBe(id.sid);
  });

  it("serves the realm's public info and the legacy /auth prefix", async () => {
    const realm = (await (await fetch(cloud.endpoints.oidcIssuer)).json()) as Record<string, unknown>;
    expect(realm).toMatchObject({
      realm: 'fleet',
      'token-service': `${cloud.endpoints.oidcIssuer}/protocol/openid-connect`,
      'tokens-not-before': 0,
    });
    expect(realm.public_key).toMatch(/^MII[A-Za-z0-9+/=]+$/);
    const legacy = cloud.endpoints.oidcIssuer.replace('/realms/', '/auth/realms/');
    const viaLegacy = await passwordGrant({ client_id: 'mobile-claim', client_secret: secret, ...DEMO }, legacy);
    expect(viaLegacy.status).toBe(200);
  });

  it("Cognito takes the access token as the seed passes it: azp names a client of the pool (AWS's documented check)", async () => {
    const res = await passwordGrant({ client_id: 'mobile-claim', client_secret: secret, ...DEMO });
    const { access_token: accessToken } = (await res.json()) as { access_token: string };
    const cognito = new CognitoIdentityClient({ region: cloud.region, endpoint: cloud.endpoints.cognito });
    try {
      const logins = { [cloud.providerName]: accessToken };
      const { IdentityId } = await cognito.send(
        new GetIdCommand({ IdentityPoolId: cloud.identityPoolId, Logins: logins }),
      );
      const creds = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
      expect(creds.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    } finally {
      cognito.destroy();
    }
  });

  it('revokes a token only for the client it was issued to, as Keycloak ("Unmatching clients")', async () => {
    const revoke = (form: Record<string, string>): Promise<Response> =>
      fetch(`${cloud.endpoints.oidcIssuer}/protocol/openid-connect/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const refresh = (token: string): Promise<Response> =>
      fetch(`${cloud.endpoints.oidcIssuer}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: token,
          client_id: 'mobile-claim',
          client_secret: secret,
        }),
      });
    const tokens = (await (
      await passwordGrant({ client_id: 'mobile-claim', client_secret: secret, ...DEMO })
    ).json()) as { refresh_token: string };

    const other = await revoke({ client_id: 'provisioning-app', token: tokens.refresh_token });
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual({ error: 'invalid_request', error_description: 'Unmatching clients' });
    const stillValid = await refresh(tokens.refresh_token);
    expect(stillValid.status).toBe(200);
    const rotated = ((await stillValid.json()) as { refresh_token: string }).refresh_token;

    const own = await revoke({ client_id: 'mobile-claim', client_secret: secret, token: rotated });
    expect(own.status).toBe(200);
    expect(await (await refresh(rotated)).json()).toMatchObject({ error: 'invalid_grant' });
  });
});
