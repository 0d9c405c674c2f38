import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { textContaining } from '../../test/matchers.js';
import { configPath, DEFAULT_MQTT_PORT, DEFAULT_SCOPE, loadCentralConfig, parseCentralConfig } from './config.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A cloud.json as the emulator writes it (cloud/emulator/config/cloud-json.ts). */
function cloudJson(): Record<string, unknown> {
  return {
    version: 1,
    region: 'us-east-1',
    accountId: '123456789012',
    iot: {
      controlPlaneEndpoint: 'http://127.0.0.1:4580',
      dataEndpoint: '127.0.0.1',
      mqttPort: 8883,
      caPath: '/x/ca.pem',
      caPem: CA,
      provisioningTemplateName: 'TrustedUserProvisioningTemplate',
    },
    oidc: {
      issuer: 'http://127.0.0.1:4581/realms/fleet',
      clientId: 'provisioning-app',
      redirectUris: ['http://127.0.0.1/callback'],
    },
    cognito: {
      endpoint: 'http://127.0.0.1:4582',
      identityPoolId: 'us-east-1:6f0d3c2e-8b1a-4c57-9e2f-1d4a5b6c7e80',
      providerName: '127.0.0.1:4581/realms/fleet',
    },
    demoUser: { username: 'demo', password: 'demo-password' },
  };
}

function without(path: string): Record<string, unknown> {
  const raw = cloudJson();
  const [a, b] = path.split('.') as [string, string | undefined];
  if (b === undefined) delete raw[a];
  else delete (raw[a] as Record<string, unknown>)[b];
  return raw;
}

describe('central config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'central-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads the emulator's cloud.json as is", () => {
    const config = parseCentralConfig(cloudJson(), 'cloud.json');
    expect(config.oidc).toEqual({
      issuer: 'http://127.0.0.1:4581/realms/fleet',
      clientId: 'provisioning-app',
      scope: DEFAULT_SCOPE,
    });
    expect(config.cognito.endpoint).toBe('http://127.0.0.1:4582');
    expect(config.iot.controlPlaneEndpoint).toBe('http://127.0.0.1:4580');
    expect(config.iot.caPem).toBe(CA);
    expect(config).not.toHaveProperty('demoUser');
  });

  it("reads a production file: endpoints optional, provider name from the issuer, AWS's MQTT port", () => {
    const config = parseCentralConfig(
      {
        version: 1,
        region: 'eu-west-1',
        oidc: { issuer: 'https://sso.example.com/realms/fleet/', clientId: 'provisioning-app', scope: 'openid' },
        cognito: { identityPoolId: 'eu-west-1:0a1b2c3d-0000-4000-8000-000000000000' },
        iot: { dataEndpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com', provisioningTemplateName: 'Fleet' },
      },
      'prod.json',
    );
    expect(config.oidc.issuer).toBe('https://sso.example.com/realms/fleet');
    expect(config.cognito.providerName).toBe('sso.example.com/realms/fleet');
    expect(config.cognito.endpoint).toBeUndefined();
    expect(config.iot.controlPlaneEndpoint).toBeUndefined();
    expect(config.iot.mqttPort).toBe(DEFAULT_MQTT_PORT);
  });

  it.each([
    ['oidc.issuer', without('oidc.issuer'), 'must be a non-empty string'],
    ['oidc.clientId', without('oidc.clientId'), 'must be a non-empty string'],
    ['cognito.identityPoolId', without('cognito.identityPoolId'), 'must be a non-empty string'],
    ['iot.provisioningTemplateName', without('iot.provisioningTemplateName'), 'must be a non-empty string'],
    ['iot', without('iot'), 'must be an object'],
    ['version', { ...cloudJson(), version: 2 }, 'must be 1'],
    ['region', { ...cloudJson(), region: 'mars' }, 'must be an AWS region'],
    ['oidc.issuer', { ...cloudJson(), oidc: { issuer: 'ftp://x', clientId: 'c' } }, 'must be an http(s) URL'],
    [
      'iot.mqttPort',
      { ...cloudJson(), iot: { ...(cloudJson().iot as object), mqttPort: 70000 } },
      'must be an integer from 1 to 65535',
    ],
    ['cognito.identityPoolId', { ...cloudJson(), cognito: { identityPoolId: 'nope' } }, 'must be REGION:UUID'],
  ])('names the field %s when it is wrong', (field, raw, problem) => {
    let error: unknown;
    try {
      parseCentralConfig(raw, 'bad.json');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as Error).message).toContain(`${field} in bad.json: ${problem}`);
  });

  it('reads files: a missing file and invalid JSON are CONFIG_INVALID naming the file', () => {
    const good = join(dir, 'cloud.json');
    writeFileSync(good, JSON.stringify(cloudJson()));
    expect(loadCentralConfig(good).source).toBe(good);
    expect(() => loadCentralConfig(join(dir, 'missing.json'))).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: textContaining('missing.json cannot be read (ENOENT)'),
      }),
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{');
    expect(() => loadCentralConfig(broken)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: textContaining('is not valid JSON') }),
    );
  });

  it("chooses the file: --config, then $CENTRAL_CONFIG, then the emulator's default cloud.json", () => {
    expect(configPath('/a.json', { CENTRAL_CONFIG: '/b.json' })).toBe('/a.json');
    expect(configPath(undefined, { CENTRAL_CONFIG: '/b.json' })).toBe('/b.json');
    expect(configPath(undefined, {})).toMatch(/\.data\/cloud\/cloud\.json$/);
  });
});
