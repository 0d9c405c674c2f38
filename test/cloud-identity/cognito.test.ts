import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textMatching } from '../matchers.js';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenCommand,
} from '@aws-sdk/client-cognito-identity';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEMO_PASSWORD, DEMO_USERNAME, DEFAULT_CLIENT_ID, parseConfig } from '../../cloud/emulator/config/schema.js';
import type { EmulatorConfig } from '../../cloud/emulator/config/schema.js';
import { providerNameFor, startIdentity } from '../../cloud/emulator/identity/index.js';
import type { RunningIdentity } from '../../cloud/emulator/identity/index.js';
import type { AwsCredentialRecord, CredentialStore } from '../../cloud/emulator/contracts/index.js';
import { codeFlowLogin, discover } from './login.js';

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

/** Flips one character in the middle of the signature: still base64url, no longer valid. */
function tamper(jwt: string): string {
  const [h, p, s] = jwt.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

describe('Cognito identity pool emulator', () => {
  const dirs: string[] = [];
  const store = new MapStore();
  let clockOffsetMs = 0;
  let identity: RunningIdentity;
  let other: RunningIdentity;
  let config: EmulatorConfig;
  let idToken: string;
  let otherIdToken: string;
  let otherAppIdToken: string;
  let bobIdToken: string;
  let cognito: CognitoIdentityClient;
  let logins: Record<string, string>;

  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'cognito-test-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    // Two clients at the provider, only one trusted by the pool.
    config = parseConfig({
      oidc: {
        clients: [{ clientId: DEFAULT_CLIENT_ID }, { clientId: 'other-app' }],
        users: [
          { username: DEMO_USERNAME, password: DEMO_PASSWORD },
          { username: 'bob', password: 'bob-password' },
        ],
      },
      cognito: { identityPool: { providers: [{ clientIds: [DEFAULT_CLIENT_ID] }] } },
    }).config;
    identity = await startIdentity({
      dataDir: tempDir(),
      config,
      credentials: store,
      host: '127.0.0.1',
      ports: { oidc: 0, cognito: 0 },
      now: () => new Date(Date.now() + clockOffsetMs),
    });
    // A second, independent provider (another realm, other keys): its tokens must not be accepted.
    const otherConfig = parseConfig({ oidc: { realm: 'elsewhere' } }).config;
    other = await startIdentity({
      dataDir: tempDir(),
      config: otherConfig,
      credentials: new MapStore(),
      host: '127.0.0.1',
      ports: { oidc: 0, cognito: 0 },
    });
    idToken = (await codeFlowLogin(await discover(identity.issuer, DEFAULT_CLIENT_ID), DEMO_USERNAME, DEMO_PASSWORD))
      .tokens.id_token!;
    bobIdToken = (await codeFlowLogin(await discover(identity.issuer, DEFAULT_CLIENT_ID), 'bob', 'bob-password')).tokens
      .id_token!;
    otherAppIdToken = (await codeFlowLogin(await discover(identity.issuer, 'other-app'), DEMO_USERNAME, DEMO_PASSWORD))
      .tokens.id_token!;
    otherIdToken = (await codeFlowLogin(await discover(other.issuer, DEFAULT_CLIENT_ID), DEMO_USERNAME, DEMO_PASSWORD))
      .tokens.id_token!;
    cognito = new CognitoIdentityClient({ endpoint: identity.cognitoEndpoint, region: config.region });
    logins = { [providerNameFor(identity.issuer)]: idToken };
  });
  afterAll(async () => {
    cognito?.destroy();
    await identity?.close();
    await other?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const poolId = (): string => config.cognito.identityPool.identityPoolId;

  it('GetId gives one stable IdentityId per user', async () => {
    const a = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    const b = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    expect(a.IdentityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);
    expect(b.IdentityId).toBe(a.IdentityId);
  });

  it('GetCredentialsForIdentity issues temporary credentials bound to the authenticated role', async () => {
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    const before = Date.now();
    const out = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
    const creds = out.Credentials!;
    expect(out.IdentityId).toBe(IdentityId);
    expect(creds.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(creds.SecretKey).toHaveLength(40);
    expect(creds.Expiration).toBeInstanceOf(Date);
    expect(creds.Expiration!.getTime()).toBeGreaterThan(before + 3500_000);
    const record = store.get(creds.AccessKeyId!)!;
    expect(record.secretAccessKey).toBe(creds.SecretKey);
    expect(record.sessionToken).toBe(creds.SessionToken);
    expect(record.principalArn).toBe(
      'arn:aws:sts::123456789012:assumed-role/TrustedUserProvisioningRole/CognitoIdentityCredentials',
    );
    expect(record.policies).toEqual(config.cognito.identityPool.authenticatedRole.policies);
    expect(JSON.stringify(record.policies)).toContain('provisioningtemplate/TrustedUserProvisioningTemplate');
  });

  it('works with fromCognitoIdentityPool from @aws-sdk/credential-providers, unmodified', async () => {
    const provider = fromCognitoIdentityPool({
      identityPoolId: poolId(),
      logins,
      clientConfig: { endpoint: identity.cognitoEndpoint, region: config.region },
    });
    const creds = await provider();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toBeTypeOf('string');
    expect(store.get(creds.accessKeyId)).toBeDefined();
  });

  it('GetOpenIdToken returns a token signed by the pool, verifiable with its JWKS', async () => {
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    const { Token } = await cognito.send(new GetOpenIdTokenCommand({ IdentityId, Logins: logins }));
    const jwks = createRemoteJWKSet(new URL(`${identity.cognitoEndpoint}/.well-known/jwks_uri`));
    const { payload } = await jwtVerify(Token!, jwks, { issuer: identity.cognitoEndpoint, audience: poolId() });
    expect(payload.sub).toBe(IdentityId);
    expect(payload.amr).toEqual(expect.arrayContaining(['authenticated', providerNameFor(identity.issuer)]));
  });

  it('refuses a tampered id_token', async () => {
    await expect(
      cognito.send(
        new GetIdCommand({ IdentityPoolId: poolId(), Logins: { [providerNameFor(identity.issuer)]: tamper(idToken) } }),
      ),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: "Invalid login token. Couldn't verify signed token.",
    });
  });

  it('refuses an expired id_token (clock moved past exp)', async () => {
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    clockOffsetMs = 2 * 3600_000;
    try {
      await expect(
        cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins })),
      ).rejects.toMatchObject({
        name: 'NotAuthorizedException',
        message: textMatching(/^Invalid login token\. Token expired: \d+ >= \d+$/),
      });
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('refuses a token from another issuer, under its own key or under the pool provider key', async () => {
    await expect(
      cognito.send(
        new GetIdCommand({ IdentityPoolId: poolId(), Logins: { [providerNameFor(other.issuer)]: otherIdToken } }),
      ),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Token is not from a supported provider of this identity pool.',
    });
    await expect(
      cognito.send(
        new GetIdCommand({ IdentityPoolId: poolId(), Logins: { [providerNameFor(identity.issuer)]: otherIdToken } }),
      ),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: "Invalid login token. Issuer doesn't match providerName",
    });
  });

  it('refuses a token issued to a client the pool does not trust', async () => {
    await expect(
      cognito.send(
        new GetIdCommand({ IdentityPoolId: poolId(), Logins: { [providerNameFor(identity.issuer)]: otherAppIdToken } }),
      ),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid login token. Incorrect token audience.',
    });
  });

  it("refuses another user's login for an identity, unauthenticated access, unknown pools and malformed ids", async () => {
    await expect(cognito.send(new GetIdCommand({ IdentityPoolId: poolId() }))).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
    });
    await expect(
      cognito.send(
        new GetIdCommand({ IdentityPoolId: 'us-east-1:00000000-0000-0000-0000-000000000000', Logins: logins }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      cognito.send(new GetIdCommand({ IdentityPoolId: 'not a pool', Logins: logins })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      cognito.send(
        new GetCredentialsForIdentityCommand({
          IdentityId: 'us-east-1:11111111-1111-1111-1111-111111111111',
          Logins: logins,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    await expect(cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }))).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    const bob = await cognito.send(
      new GetIdCommand({ IdentityPoolId: poolId(), Logins: { [providerNameFor(identity.issuer)]: bobIdToken } }),
    );
    expect(bob.IdentityId).not.toBe(IdentityId);
    await expect(
      cognito.send(
        new GetCredentialsForIdentityCommand({
          IdentityId,
          Logins: { [providerNameFor(identity.issuer)]: bobIdToken },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException', message: textMatching(/^Logins don't match/) });
  });

  it('keeps IdentityIds across a restart', async () => {
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    const dataDir = dirs[0]!;
    const ports = { oidc: identity.oidcPort, cognito: identity.cognitoPort };
    await identity.close();
    identity = await startIdentity({ dataDir, config, credentials: store, host: '127.0.0.1', ports });
    const send = (): Promise<{ IdentityId?: string | undefined }> =>
      cognito.send(new GetIdCommand({ IdentityPoolId: poolId(), Logins: logins }));
    // The SDK may first hit a keep-alive socket the old server closed: one retry.
    const again = await send().catch(send);
    expect(again.IdentityId).toBe(IdentityId);
  });
});

describe('Cognito pools that allow unauthenticated identities', () => {
  it('issues unauthenticated credentials bound to the unauthenticated role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cognito-unauth-'));
    const { config } = parseConfig({
      cognito: {
        identityPool: {
          allowUnauthenticatedIdentities: true,
          unauthenticatedRole: {
            roleArn: 'arn:aws:iam::123456789012:role/Guest',
            policies: [
              {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: 'iot:DescribeEndpoint', Resource: '*' }],
              },
            ],
          },
        },
      },
    });
    const store = new MapStore();
    const identity = await startIdentity({
      dataDir: dir,
      config,
      credentials: store,
      host: '127.0.0.1',
      ports: { oidc: 0, cognito: 0 },
    });
    const cognito = new CognitoIdentityClient({ endpoint: identity.cognitoEndpoint, region: 'us-east-1' });
    try {
      const { IdentityId } = await cognito.send(
        new GetIdCommand({ IdentityPoolId: config.cognito.identityPool.identityPoolId }),
      );
      const out = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
      expect(store.get(out.Credentials!.AccessKeyId!)?.principalArn).toBe(
        'arn:aws:sts::123456789012:assumed-role/Guest/CognitoIdentityCredentials',
      );
    } finally {
      cognito.destroy();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
