import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { ConfigReader, configError } from './validate.js';

/**
 * `cloud.json`: what the device, the phone and `npx tp-setup` need to reach the running emulator
 * (or, written by hand, a real account). Written by `npx tp-cloud` atomically with mode 0600.
 * It holds no admin secret: that stays in the file `admin.credentialsPath` names (also 0600).
 */
export const CLOUD_JSON_VERSION = 1;
export const CLOUD_JSON_FILE = 'cloud.json';

export interface CloudJson {
  version: typeof CLOUD_JSON_VERSION;
  region: string;
  accountId: string;
  iot: {
    /** AWS IoT control plane (REST, SigV4): the `endpoint` for @aws-sdk/client-iot, `--endpoint-url` for the CLI. */
    controlPlaneEndpoint: string;
    /** Host name of the MQTT broker (DescribeEndpoint iot:Data-ATS). */
    dataEndpoint: string;
    mqttPort: number;
    /** The CA that signs the broker's certificate (PEM file), for the device's trust store. */
    caPath: string;
    caPem: string;
    provisioningTemplateName: string;
  };
  oidc: {
    issuer: string;
    clientId: string;
    /** Registered redirect URIs; for loopback ones any port is accepted. */
    redirectUris: string[];
    /**
     * A confidential client allowed the password grant (as the seed's Keycloak client), when one is
     * configured: its id and the file (JSON, `{clientId: secret}`, 0600) holding its secret.
     */
    passwordClient?: { clientId: string; clientSecretPath: string };
  };
  cognito: {
    endpoint: string;
    identityPoolId: string;
    /** The Logins key for the issuer (issuer URL without scheme). */
    providerName: string;
  };
  /** A user for demos and tests; absent when the configuration has no plaintext-password user. */
  demoUser?: { username: string; password: string };
  /** Where the admin (full access) credentials are; absent for real accounts (use the default chain). */
  admin?: { credentialsPath: string };
}

export interface AdminCredentialsFile {
  accessKeyId: string;
  secretAccessKey: string;
  principalArn: string;
}

export function writeCloudJson(path: string, value: CloudJson): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, 0o600);
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(
      '(file)',
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); is the emulator running (npx tp-cloud)?`,
      path,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw configError('(root)', `is not valid JSON (${(err as Error).message})`, path);
  }
}

/** Reads and validates cloud.json; errors are CONFIG_INVALID naming the field. */
export function readCloudJson(path: string): CloudJson {
  return parseCloudJson(readJsonFile(path), path);
}

export function parseCloudJson(raw: unknown, source?: string): CloudJson {
  const r = new ConfigReader(source);
  const root = r.object(raw, '(root)');
  if (root.version !== CLOUD_JSON_VERSION) r.fail('version', `must be ${CLOUD_JSON_VERSION}`);
  const iot = r.object(root.iot, 'iot');
  const oidc = r.object(root.oidc, 'oidc');
  const cognito = r.object(root.cognito, 'cognito');
  const value: CloudJson = {
    version: CLOUD_JSON_VERSION,
    region: r.string(root.region, 'region'),
    accountId: r.string(root.accountId, 'accountId', { pattern: /^\d{12}$/, patternText: '12 digits' }),
    iot: {
      controlPlaneEndpoint: r.url(iot.controlPlaneEndpoint, 'iot.controlPlaneEndpoint'),
      dataEndpoint: r.string(iot.dataEndpoint, 'iot.dataEndpoint'),
      mqttPort: r.integer(iot.mqttPort, 'iot.mqttPort', -1, 1, 65535),
      caPath: r.string(iot.caPath, 'iot.caPath'),
      caPem: r.string(iot.caPem, 'iot.caPem', {
        pattern: /-----BEGIN CERTIFICATE-----/,
        patternText: 'a PEM certificate',
      }),
      provisioningTemplateName: r.string(iot.provisioningTemplateName, 'iot.provisioningTemplateName'),
    },
    oidc: {
      issuer: r.url(oidc.issuer, 'oidc.issuer'),
      clientId: r.string(oidc.clientId, 'oidc.clientId'),
      redirectUris: r.array(oidc.redirectUris, 'oidc.redirectUris').map((u, i) => r.url(u, `oidc.redirectUris[${i}]`)),
    },
    cognito: {
      endpoint: r.url(cognito.endpoint, 'cognito.endpoint'),
      identityPoolId: r.string(cognito.identityPoolId, 'cognito.identityPoolId'),
      providerName: r.string(cognito.providerName, 'cognito.providerName'),
    },
  };
  if (oidc.passwordClient !== undefined) {
    const pc = r.object(oidc.passwordClient, 'oidc.passwordClient');
    value.oidc.passwordClient = {
      clientId: r.string(pc.clientId, 'oidc.passwordClient.clientId'),
      clientSecretPath: r.string(pc.clientSecretPath, 'oidc.passwordClient.clientSecretPath'),
    };
  }
  if (root.demoUser !== undefined) {
    const d = r.object(root.demoUser, 'demoUser');
    value.demoUser = {
      username: r.string(d.username, 'demoUser.username'),
      password: r.string(d.password, 'demoUser.password'),
    };
  }
  if (root.admin !== undefined) {
    const a = r.object(root.admin, 'admin');
    value.admin = { credentialsPath: r.string(a.credentialsPath, 'admin.credentialsPath') };
  }
  return value;
}

export function readAdminCredentials(path: string): AdminCredentialsFile {
  const r = new ConfigReader(path);
  const root = r.object(readJsonFile(path), '(root)');
  return {
    accessKeyId: r.string(root.accessKeyId, 'accessKeyId'),
    secretAccessKey: r.string(root.secretAccessKey, 'secretAccessKey'),
    principalArn: r.string(root.principalArn, 'principalArn'),
  };
}
