import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProvisioningError } from '../../protocol/index.js';
import { FieldReader } from './fields.js';

/**
 * What the phone needs to reach the cloud: the OIDC issuer and client, the Cognito identity pool
 * and the AWS IoT endpoints and template. The emulator's `cloud.json` (written by `npx tp-cloud`)
 * is read as is; a production file has the same shape, with the endpoints optional (absent means
 * AWS's own endpoints for the region). See central/README.md, "Configuration".
 */
export interface CentralConfig {
  /** The file it was read from (for messages). */
  source: string;
  region: string;
  oidc: {
    issuer: string;
    clientId: string;
    /** Scopes asked for at login. */
    scope: string;
    /** A confidential client allowed the password grant (cloud.json's `oidc.passwordClient`): id and secret file. */
    passwordClient?: { clientId: string; clientSecretPath: string };
  };
  cognito: {
    identityPoolId: string;
    /** The `Logins` key of the issuer (Cognito: the issuer URL without its scheme). */
    providerName: string;
    /** Custom endpoint (the emulator); absent means AWS's endpoint for the region. */
    endpoint?: string;
  };
  iot: {
    /** Custom control-plane endpoint (the emulator); absent means AWS's endpoint for the region. */
    controlPlaneEndpoint?: string;
    /** The MQTT (data) endpoint host the device connects to. */
    dataEndpoint: string;
    mqttPort: number;
    /** CA bundle for the data endpoint, when the device must not use its built-in trust store. */
    caPem?: string;
    provisioningTemplateName: string;
  };
}

export const CONFIG_VERSION = 1;
/** The emulator's default data directory (cloud/cli.ts) holds cloud.json; relative to the working directory. */
export const DEFAULT_CONFIG_PATH = '.data/cloud/cloud.json';
/** Environment variable naming the config file when `--config` is not given. */
export const CONFIG_ENV = 'CENTRAL_CONFIG';
export const DEFAULT_SCOPE = 'openid profile email';
/** AWS IoT's MQTT port (mutual TLS). */
export const DEFAULT_MQTT_PORT = 8883;

const REGION = { re: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, text: 'an AWS region such as us-east-1' };
const IDENTITY_POOL_ID = { re: /^[\w-]+:[0-9a-f-]+$/, text: 'REGION:UUID (a Cognito identity pool id)' };
const TEMPLATE_NAME = { re: /^[0-9A-Za-z_-]{1,36}$/, text: '1-36 characters of [0-9A-Za-z_-]' };
const CA_PEM = { re: /-----BEGIN CERTIFICATE-----/, text: 'a PEM certificate' };

/** Validates a parsed JSON value; throws ProvisioningError CONFIG_INVALID naming the field. */
export function parseCentralConfig(raw: unknown, source = '(config)'): CentralConfig {
  const r = new FieldReader(source);
  const root = r.object(raw, '(root)');
  if (root.version !== CONFIG_VERSION) r.fail('version', `must be ${CONFIG_VERSION}`);
  const oidc = r.object(root.oidc, 'oidc');
  const cognito = r.object(root.cognito, 'cognito');
  const iot = r.object(root.iot, 'iot');
  const issuer = r.url(oidc.issuer, 'oidc.issuer');
  const config: CentralConfig = {
    source,
    region: r.string(root.region, 'region', REGION),
    oidc: {
      issuer,
      clientId: r.string(oidc.clientId, 'oidc.clientId'),
      scope: r.optionalString(oidc.scope, 'oidc.scope') ?? DEFAULT_SCOPE,
    },
    cognito: {
      identityPoolId: r.string(cognito.identityPoolId, 'cognito.identityPoolId', IDENTITY_POOL_ID),
      providerName:
        r.optionalString(cognito.providerName, 'cognito.providerName') ?? issuer.replace(/^https?:\/\//, ''),
    },
    iot: {
      dataEndpoint: r.string(iot.dataEndpoint, 'iot.dataEndpoint'),
      mqttPort: r.port(iot.mqttPort, 'iot.mqttPort', DEFAULT_MQTT_PORT),
      provisioningTemplateName: r.string(iot.provisioningTemplateName, 'iot.provisioningTemplateName', TEMPLATE_NAME),
    },
  };
  if (oidc.passwordClient !== undefined) {
    const pc = r.object(oidc.passwordClient, 'oidc.passwordClient');
    config.oidc.passwordClient = {
      clientId: r.string(pc.clientId, 'oidc.passwordClient.clientId'),
      clientSecretPath: r.string(pc.clientSecretPath, 'oidc.passwordClient.clientSecretPath'),
    };
  }
  const cognitoEndpoint = r.optionalUrl(cognito.endpoint, 'cognito.endpoint');
  if (cognitoEndpoint !== undefined) config.cognito.endpoint = cognitoEndpoint;
  const controlPlane = r.optionalUrl(iot.controlPlaneEndpoint, 'iot.controlPlaneEndpoint');
  if (controlPlane !== undefined) config.iot.controlPlaneEndpoint = controlPlane;
  const caPem = r.optionalString(iot.caPem, 'iot.caPem', CA_PEM);
  if (caPem !== undefined) config.iot.caPem = caPem;
  return config;
}

/** The config file to use: the explicit path, else $CENTRAL_CONFIG, else the emulator's cloud.json. */
export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env[CONFIG_ENV] ?? DEFAULT_CONFIG_PATH);
}

/** Reads and validates a config file (cloud.json or a production file). */
export function loadCentralConfig(path: string): CentralConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${path} cannot be read (${code}); start the emulator (npx tp-cloud) or pass --config FILE`,
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', { detail: `(root) in ${path}: is not valid JSON`, cause: err });
  }
  return parseCentralConfig(raw, path);
}
