import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import { loadConfigFile } from '../../cloud/emulator/config/load.js';
import { defaultConfig, parseConfig } from '../../cloud/emulator/config/schema.js';
import { parseCloudJson } from '../../cloud/emulator/config/cloud-json.js';
import { hashPassword, verifyPassword } from '../../cloud/emulator/identity/passwords.js';
import { UserDirectory } from '../../cloud/emulator/identity/users.js';

const dir = mkdtempSync(join(tmpdir(), 'cloud-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): ProvisioningError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProvisioningError) return err;
    throw err;
  }
  throw new Error('expected a ProvisioningError');
}

describe('emulator configuration file', () => {
  it("defaults to one realm, a public client, the seed's confidential one and the web app's public one, one demo user and a pool allowing only CreateProvisioningClaim", () => {
    const config = defaultConfig();
    expect(config.oidc.realm).toBe('fleet');
    expect(config.oidc.clients.map((c) => c.clientId)).toEqual([
      'provisioning-app',
      'mobile-claim',
      'provisioning-web',
    ]);
    expect(config.oidc.clients[2]).toEqual({
      clientId: 'provisioning-web',
      clientName: 'Provisioning web app',
      redirectUris: ['http://localhost/', 'http://127.0.0.1/'],
    });
    expect(config.oidc.clients[0]).not.toHaveProperty('directAccessGrants');
    expect(config.oidc.clients[1]).toMatchObject({ confidential: true, directAccessGrants: true });
    expect(config.oidc.users).toHaveLength(1);
    expect(config.cognito.identityPool.allowUnauthenticatedIdentities).toBe(false);
    expect(config.cognito.identityPool.authenticatedRole.policies).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'CreateClaimForTheTrustedUserTemplate',
            Effect: 'Allow',
            Action: ['iot:CreateProvisioningClaim'],
            Resource: ['arn:aws:iot:us-east-1:123456789012:provisioningtemplate/TrustedUserProvisioningTemplate'],
          },
        ],
      },
    ]);
  });

  it('loads a file with hashed passwords, warning about plaintext ones', () => {
    const path = writeConfig(
      'ok.json',
      JSON.stringify({
        region: 'eu-west-1',
        oidc: {
          users: [
            { username: 'alice', passwordHash: hashPassword('correct horse') },
            { username: 'demo', password: 'demo-password' },
          ],
        },
      }),
    );
    const { config, warnings } = loadConfigFile(path);
    expect(config.region).toBe('eu-west-1');
    expect(config.cognito.identityPool.identityPoolId).toMatch(/^eu-west-1:/);
    expect(warnings).toEqual([expect.stringContaining('oidc.users[1].password')]);
    const users = new UserDirectory(config.oidc.users);
    expect(users.authenticate('alice', 'correct horse')?.sub).toBe('alice');
    expect(users.authenticate('alice', 'wrong')).toBeUndefined();
    expect(users.authenticate('nobody', 'correct horse')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', '(root)'],
    ['a wrong type', JSON.stringify({ oidc: { realm: 7 } }), 'oidc.realm'],
    ['an unknown field (a typo)', JSON.stringify({ oidc: { user: [] } }), 'oidc.user'],
    [
      'a user without a password',
      JSON.stringify({ oidc: { users: [{ username: 'bob' }] } }),
      'oidc.users[0].passwordHash',
    ],
    [
      'a malformed hash',
      JSON.stringify({ oidc: { users: [{ username: 'bob', passwordHash: 'md5$abc' }] } }),
      'oidc.users[0].passwordHash',
    ],
    [
      'a duplicate user',
      JSON.stringify({
        oidc: {
          users: [
            { username: 'a', password: 'x' },
            { username: 'a', password: 'y' },
          ],
        },
      }),
      'oidc.users[1].username',
    ],
    [
      'a non-loopback http redirect',
      JSON.stringify({ oidc: { clients: [{ clientId: 'app', redirectUris: ['http://example.com/cb'] }] } }),
      'oidc.clients[0].redirectUris[0]',
    ],
    [
      'a bad pool id',
      JSON.stringify({ cognito: { identityPool: { identityPoolId: 'pool' } } }),
      'cognito.identityPool.identityPoolId',
    ],
    [
      'a bad policy effect',
      JSON.stringify({
        cognito: {
          identityPool: {
            authenticatedRole: {
              roleArn: 'arn:aws:iam::123456789012:role/R',
              policies: [{ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }],
            },
          },
        },
      }),
      'cognito.identityPool.authenticatedRole.policies[0].Statement[0].Effect',
    ],
    [
      'unauthenticated access without a role',
      JSON.stringify({ cognito: { identityPool: { allowUnauthenticatedIdentities: true } } }),
      'cognito.identityPool.unauthenticatedRole',
    ],
    ['a port out of range', JSON.stringify({ ports: { mqtt: 70000 } }), 'ports.mqtt'],
    ['a bad region', JSON.stringify({ region: 'moon' }), 'region'],
  ])('refuses %s with CONFIG_INVALID naming the field', (_what, text, field) => {
    const path = writeConfig('bad.json', text);
    const err = errorOf(() => loadConfigFile(path));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.detail).toMatch(
      new RegExp(`^${field.replace(/[.[\]()]/g, '\\$&')} in ${path.replace(/[.[\]()/]/g, '\\$&')}: `),
    );
  });

  it('names a missing file', () => {
    const err = errorOf(() => loadConfigFile(join(dir, 'missing.json')));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.detail).toContain('ENOENT');
  });

  it('never echoes a password in an error', () => {
    const err = errorOf(() =>
      parseConfig({ oidc: { users: [{ username: 'a', password: 's3cret!', passwordHash: 'x' }] } }),
    );
    expect(err.message).not.toContain('s3cret!');
  });
});

describe('cloud.json', () => {
  it('names the missing or wrong field', () => {
    const err = errorOf(() =>
      parseCloudJson(
        { version: 1, region: 'us-east-1', accountId: '123456789012', iot: {}, oidc: {}, cognito: {} },
        'cloud.json',
      ),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.detail).toMatch(/^iot\.controlPlaneEndpoint in cloud\.json: /);
    expect(errorOf(() => parseCloudJson({ version: 2 })).detail).toMatch(/^version: must be 1/);
  });
});

describe('password hashes', () => {
  it('verifies scrypt hashes and refuses wrong passwords and malformed hashes', () => {
    const hash = hashPassword('pässword');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(verifyPassword('pässword', hash)).toBe(true);
    expect(verifyPassword('password', hash)).toBe(false);
    expect(verifyPassword('pässword', 'scrypt$1$2')).toBe(false);
  });
});
