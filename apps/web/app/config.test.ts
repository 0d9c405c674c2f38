/**
 * The web app's config.json: validated field by field (CONFIG_INVALID names the field), defaults as
 * the CLI's, and what the emulator's web host serves (cloud/web-host webAppConfig) is accepted as is.
 */
import { describe, expect, it } from 'vitest';
import { isProvisioningError } from '../../../protocol/index.js';
import { webAppConfig } from '../../../cloud/web-host/index.js';
import { requestUrl } from '../../../test/support/request-url.js';
import { asCentralConfig, loadWebAppConfig, parseWebAppConfig } from './config.js';

const PRODUCTION = {
  region: 'eu-west-1',
  oidc: { issuer: 'https://keycloak.example.com/realms/fleet', clientId: 'provisioning-web' },
  cognito: { identityPoolId: 'eu-west-1:0000-1111' },
  iot: {
    dataEndpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
    provisioningTemplateName: 'TrustedUserProvisioningTemplate',
  },
};

function invalid(raw: unknown): string {
  try {
    parseWebAppConfig(raw);
  } catch (err) {
    if (isProvisioningError(err) && err.code === 'CONFIG_INVALID') return err.detail ?? '';
    throw err;
  }
  throw new Error('accepted');
}

/** PRODUCTION without one field (`section.field`) or one top-level entry. */
const without = (path: string): unknown => {
  const copy: Record<string, unknown> = structuredClone(PRODUCTION);
  const [a, b] = path.split('.') as [string, string | undefined];
  if (b === undefined) delete copy[a];
  else delete (copy[a] as Record<string, unknown>)[b];
  return copy;
};

describe('parseWebAppConfig', () => {
  it('takes a production config (no emulator fields) with the CLI defaults', () => {
    const config = parseWebAppConfig(PRODUCTION);
    expect(config).toEqual({
      region: 'eu-west-1',
      oidc: { ...PRODUCTION.oidc, scope: 'openid profile email' },
      cognito: { identityPoolId: 'eu-west-1:0000-1111', providerName: 'keycloak.example.com/realms/fleet' },
      iot: { ...PRODUCTION.iot, mqttPort: 8883 },
    });
    expect(asCentralConfig(config).source).toBe('config.json');
  });

  it("takes the emulator's config.json as the web host serves it", () => {
    const served = webAppConfig(
      {
        region: 'us-east-1',
        iot: {
          controlPlaneEndpoint: 'http://127.0.0.1:4580',
          dataEndpoint: 'localhost',
          mqttPort: 8883,
          caPem: '-----BEGIN CERTIFICATE-----\n…',
          provisioningTemplateName: 'TrustedUserProvisioningTemplate',
        },
        oidc: { issuer: 'http://127.0.0.1:4581' },
        cognito: {
          endpoint: 'http://127.0.0.1:4582',
          identityPoolId: 'us-east-1:pool',
          providerName: '127.0.0.1:4581',
        },
      },
      'provisioning-web',
    );
    const config = parseWebAppConfig(JSON.parse(JSON.stringify(served.config)));
    expect(config.oidc).toEqual({
      issuer: 'http://127.0.0.1:4581',
      clientId: 'provisioning-web',
      scope: 'openid profile email',
    });
    expect(config.cognito.endpoint).toBe('http://127.0.0.1:4582');
    expect(config.iot.controlPlaneEndpoint).toBe('http://127.0.0.1:4580');
    expect(config.iot.caPem).toContain('BEGIN CERTIFICATE');
  });

  it('names each missing or empty required field', () => {
    for (const path of [
      'region',
      'oidc.issuer',
      'oidc.clientId',
      'cognito.identityPoolId',
      'iot.dataEndpoint',
      'iot.provisioningTemplateName',
    ])
      expect(invalid(without(path))).toBe(`config.json: ${path} must be a non-empty string`);
    expect(invalid({ ...PRODUCTION, region: '' })).toContain('region');
    expect(invalid({ ...PRODUCTION, oidc: { ...PRODUCTION.oidc, scope: 7 } })).toContain('oidc.scope');
  });

  it('refuses a root, section or port of the wrong shape', () => {
    expect(invalid([])).toBe('config.json: (root) must be an object');
    expect(invalid(null)).toBe('config.json: (root) must be an object');
    for (const section of ['oidc', 'cognito', 'iot'])
      expect(invalid(without(section))).toBe(`config.json: ${section} must be an object`);
    for (const mqttPort of [0, 65536, 8883.5, '8883'])
      expect(invalid({ ...PRODUCTION, iot: { ...PRODUCTION.iot, mqttPort } })).toContain('iot.mqttPort');
  });
});

describe('loadWebAppConfig', () => {
  it("fetches /config.json from the app's origin, never cached", async () => {
    const asked: Array<[string, RequestInit | undefined]> = [];
    const config = await loadWebAppConfig((input, init) => {
      asked.push([requestUrl(input), init]);
      return Promise.resolve(Response.json(PRODUCTION));
    });
    expect(config.region).toBe('eu-west-1');
    expect(asked).toEqual([['/config.json', { cache: 'no-store', credentials: 'same-origin' }]]);
  });

  it('is CONFIG_INVALID when the file is missing, unreachable or not JSON', async () => {
    const cases: Array<[() => Promise<Response>, string]> = [
      [() => Promise.resolve(new Response('no', { status: 404 })), 'config.json: HTTP 404'],
      [() => Promise.reject(new TypeError('Failed to fetch')), 'config.json cannot be fetched'],
      [() => Promise.resolve(new Response('{ "region": ')), 'config.json is not valid JSON'],
    ];
    for (const [answer, detail] of cases) {
      const err: unknown = await loadWebAppConfig(answer).catch((e: unknown) => e);
      expect(isProvisioningError(err) && `${err.code}: ${err.detail}`).toBe(`CONFIG_INVALID: ${detail}`);
    }
  });
});
