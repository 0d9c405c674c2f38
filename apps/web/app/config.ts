/**
 * What the app reads at start from its own origin, `/config.json`: the same fields as the CLI's
 * configuration (central/README.md, "Configuration"), without file paths. `npx tp-cloud` serves it
 * from the emulator's cloud.json; hosted elsewhere, it is a static file (apps/web/README.md).
 */
import { ProvisioningError } from '../../../protocol/index.js';
import type { CentralConfig } from '../../../central/config/index.js';

export type WebAppConfig = Omit<CentralConfig, 'source' | 'oidc'> & {
  oidc: { issuer: string; clientId: string; scope: string };
};

function field(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ProvisioningError('CONFIG_INVALID', { detail: `config.json: ${name} must be a non-empty string` });
  return value;
}

function optional(value: unknown, name: string): string | undefined {
  return value === undefined ? undefined : field(value, name);
}

type Json = Record<string, unknown>;
const object = (value: unknown, name: string): Json => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ProvisioningError('CONFIG_INVALID', { detail: `config.json: ${name} must be an object` });
  return value as Json;
};

/** Validates the parsed config.json; CONFIG_INVALID names the field. */
export function parseWebAppConfig(raw: unknown): WebAppConfig {
  const root = object(raw, '(root)');
  const oidc = object(root.oidc, 'oidc');
  const cognito = object(root.cognito, 'cognito');
  const iot = object(root.iot, 'iot');
  const issuer = field(oidc.issuer, 'oidc.issuer');
  const port = iot.mqttPort ?? 8883;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new ProvisioningError('CONFIG_INVALID', { detail: 'config.json: iot.mqttPort must be a port number' });
  const cognitoEndpoint = optional(cognito.endpoint, 'cognito.endpoint');
  const controlPlane = optional(iot.controlPlaneEndpoint, 'iot.controlPlaneEndpoint');
  const caPem = optional(iot.caPem, 'iot.caPem');
  return {
    region: field(root.region, 'region'),
    oidc: {
      issuer,
      clientId: field(oidc.clientId, 'oidc.clientId'),
      scope: optional(oidc.scope, 'oidc.scope') ?? 'openid profile email',
    },
    cognito: {
      identityPoolId: field(cognito.identityPoolId, 'cognito.identityPoolId'),
      providerName: optional(cognito.providerName, 'cognito.providerName') ?? issuer.replace(/^https?:\/\//, ''),
      ...(cognitoEndpoint ? { endpoint: cognitoEndpoint } : {}),
    },
    iot: {
      dataEndpoint: field(iot.dataEndpoint, 'iot.dataEndpoint'),
      mqttPort: port,
      provisioningTemplateName: field(iot.provisioningTemplateName, 'iot.provisioningTemplateName'),
      ...(controlPlane ? { controlPlaneEndpoint: controlPlane } : {}),
      ...(caPem ? { caPem } : {}),
    },
  };
}

/** The config as the shared phone code (central/cloud) takes it. */
export function asCentralConfig(config: WebAppConfig): CentralConfig {
  return { ...config, source: 'config.json' };
}

/** Fetches `/config.json` from the app's origin and validates it; every failure is CONFIG_INVALID. */
export async function loadWebAppConfig(
  fetchConfig: typeof fetch = (input, init) => fetch(input, init),
): Promise<WebAppConfig> {
  let res: Response;
  try {
    res = await fetchConfig('/config.json', { cache: 'no-store', credentials: 'same-origin' });
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', { detail: 'config.json cannot be fetched', cause: err });
  }
  if (!res.ok) throw new ProvisioningError('CONFIG_INVALID', { detail: `config.json: HTTP ${res.status}` });
  let raw: unknown;
  try {
    raw = await res.json();
  } catch (err) {
    // A hand-written file with a typo: say so with the config's code, not as an unexpected failure.
    throw new ProvisioningError('CONFIG_INVALID', { detail: 'config.json is not valid JSON', cause: err });
  }
  return parseWebAppConfig(raw);
}
