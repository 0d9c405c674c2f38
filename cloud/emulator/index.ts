import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmulatorCa } from './ca/index.js';
import { Registry } from './registry/index.js';
import { startControlPlane } from './control-plane/index.js';
import { startBroker } from './broker/index.js';
import type { CredentialStore } from './contracts.js';
import { defaultConfig } from './config/schema.js';
import type { EmulatorConfig } from './config/schema.js';
import { writeFileAtomic } from './config/atomic-file.js';
import { CLOUD_JSON_FILE, CLOUD_JSON_VERSION, writeCloudJson } from './config/cloud-json.js';
import type { CloudJson } from './config/cloud-json.js';
import { providerNameFor, startIdentity } from './identity/index.js';
import { loadOrCreateAdminCredentials } from './admin-credentials.js';
import { EmulatedLambda } from './lambda/index.js';
import { productHookTargets } from './product-hook.js';

export type { CloudJson } from './config/cloud-json.js';
export type { EmulatorConfig } from './config/schema.js';

/** The PEM of the emulator's CA, for devices' trust stores (public: 0644). */
export const CA_PEM_FILE = 'ca.pem';
export const REGISTRY_FILE = 'registry.sqlite';

export interface EmulatorPorts {
  /** AWS IoT control plane (HTTP, SigV4). */
  iot?: number;
  /** MQTT over mutual TLS. */
  mqtt?: number;
  /** OpenID Connect provider. */
  oidc?: number;
  /** Cognito identity pool. */
  cognito?: number;
}

export interface EmulatorOptions {
  /** Everything persistent lives here: CA, registry, identity database, keys, cloud.json. */
  dataDir: string;
  /** Interface to bind (default 127.0.0.1; loopback keeps the emulator private). */
  host?: string;
  /** 0 (the default for each) means a free port. */
  ports?: EmulatorPorts;
  /** Parsed configuration (see config/schema.ts); defaults to the built-in demo configuration. */
  config?: EmulatorConfig;
  /** Clock for expiry decisions (claims, tokens, credentials): tests move it. */
  now?: () => Date;
}

export class EmulatorStartError extends Error {
  constructor(
    readonly component: 'iot' | 'mqtt' | 'identity',
    readonly port: number,
    options: { cause: unknown },
  ) {
    const code = (options.cause as NodeJS.ErrnoException | undefined)?.code;
    super(
      `could not start the ${component} endpoint${component === 'identity' ? 's' : ''} on port ${port}${code ? ` (${code})` : ''}`,
      options,
    );
    this.name = 'EmulatorStartError';
  }

  get errno(): string | undefined {
    return (this.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

export interface RunningEmulator {
  dataDir: string;
  region: string;
  accountId: string;
  endpoints: {
    /** e.g. http://127.0.0.1:4580: @aws-sdk/client-iot `endpoint`, AWS CLI `--endpoint-url`. */
    iotControlPlane: string;
    mqttHost: string;
    mqttPort: number;
    /** e.g. http://127.0.0.1:4581/realms/fleet */
    oidcIssuer: string;
    /** e.g. http://127.0.0.1:4582: @aws-sdk/client-cognito-identity `endpoint`. */
    cognito: string;
  };
  caPath: string;
  caPem: string;
  admin: { accessKeyId: string; secretAccessKey: string; principalArn: string; credentialsPath: string };
  identityPoolId: string;
  clientId: string;
  /** The Cognito Logins key for the issuer. */
  providerName: string;
  provisioningTemplateName: string;
  demoUser?: { username: string; password: string };
  /** Path of the cloud.json written for this run. */
  cloudJsonPath: string;
  cloudJson: CloudJson;
  /** In-process access for tests. */
  registry: Registry;
  ca: EmulatorCa;
  /** The minimal Lambda (functions deployed by `npm run setup -- --real --endpoint-url …`). */
  lambda: EmulatedLambda;
  credentials: CredentialStore;
  close(): Promise<void>;
}

/**
 * Starts the whole cloud emulator in-process: CA, registry, AWS IoT control plane, MQTT broker,
 * OIDC provider and Cognito identity pool; writes `<dataDir>/cloud.json`.
 */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config = options.config ?? defaultConfig();
  const host = options.host ?? config.host ?? '127.0.0.1';
  const ports = { iot: 0, mqtt: 0, oidc: 0, cognito: 0, ...config.ports, ...options.ports };
  const urlHost = ['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host;

  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        console.error('cloud emulator: error while closing:', err);
      }
    }
  };

  try {
    const ca = await EmulatorCa.openOrCreate(join(dataDir, 'ca'));
    const caPath = join(dataDir, CA_PEM_FILE);
    writeFileAtomic(caPath, ca.caCertPem, 0o644);
    const registry = Registry.open(join(dataDir, REGISTRY_FILE), {
      region: config.region,
      accountId: config.accountId,
      ...(options.now ? { now: options.now } : {}),
    });
    closers.push(() => registry.close());
    const credentials = registry.credentials;
    const admin = loadOrCreateAdminCredentials(dataDir, config.accountId);
    credentials.put(admin.record);

    // The template's hook ARN runs the product's hook in-process, once the control plane it calls is up.
    const hookTargets: NonNullable<NonNullable<Parameters<typeof startBroker>[0]['hooks']>['targets']> = {};
    const broker = await startBroker({
      registry,
      ca,
      host,
      port: ports.mqtt,
      region: config.region,
      accountId: config.accountId,
      hooks: { targets: hookTargets },
      ...(options.now ? { now: options.now } : {}),
    }).catch((cause: unknown) => {
      throw new EmulatorStartError('mqtt', ports.mqtt, { cause });
    });
    closers.push(() => broker.close());
    const lambda = new EmulatedLambda({
      dataDir,
      region: config.region,
      accountId: config.accountId,
      credentials,
      now: options.now ?? (() => new Date()),
    });
    const controlPlane = await startControlPlane({
      otherServices: lambda.api,
      registry,
      ca,
      credentials,
      region: config.region,
      accountId: config.accountId,
      host,
      port: ports.iot,
      // DescribeEndpoint answers a bare host name, as AWS does (samples pass it to `--endpoint`);
      // the broker's port is in cloud.json (`iot.mqttPort`), 8883 by default as on AWS.
      dataEndpoint: urlHost,
      ...(options.now ? { now: options.now } : {}),
    }).catch((cause: unknown) => {
      throw new EmulatorStartError('iot', ports.iot, { cause });
    });
    closers.push(() => controlPlane.close());
    lambda.attach(controlPlane.url);
    closers.push(() => lambda.close());
    const productHook = productHookTargets({
      region: config.region,
      accountId: config.accountId,
      endpoint: controlPlane.url,
      credentials,
      lambda,
      ...(options.now ? { now: options.now } : {}),
    });
    Object.assign(hookTargets, productHook.targets);
    closers.push(() => productHook.close());
    const identity = await startIdentity({
      dataDir: join(dataDir, 'identity'),
      config,
      credentials,
      host,
      ports: { oidc: ports.oidc, cognito: ports.cognito },
      ...(options.now ? { now: options.now } : {}),
    }).catch((cause: unknown) => {
      throw new EmulatorStartError('identity', ports.oidc, { cause });
    });
    closers.push(() => identity.close());

    const client = config.oidc.clients[0]!;
    const demo = config.oidc.users.find((u) => u.password !== undefined);
    const passwordClient = config.oidc.clients.find((c) => c.confidential && c.directAccessGrants);
    const cloudJson: CloudJson = {
      version: CLOUD_JSON_VERSION,
      region: config.region,
      accountId: config.accountId,
      iot: {
        controlPlaneEndpoint: controlPlane.url,
        dataEndpoint: urlHost,
        mqttPort: broker.port,
        caPath,
        caPem: ca.caCertPem,
        provisioningTemplateName: config.provisioningTemplateName,
      },
      oidc: {
        issuer: identity.issuer,
        clientId: client.clientId,
        redirectUris: client.redirectUris,
        ...(passwordClient && identity.clientSecretsPath
          ? { passwordClient: { clientId: passwordClient.clientId, clientSecretPath: identity.clientSecretsPath } }
          : {}),
      },
      cognito: {
        endpoint: identity.cognitoEndpoint,
        identityPoolId: config.cognito.identityPool.identityPoolId,
        providerName: providerNameFor(identity.issuer),
      },
      ...(demo ? { demoUser: { username: demo.username, password: demo.password! } } : {}),
      admin: { credentialsPath: admin.path },
    };
    const cloudJsonPath = join(dataDir, CLOUD_JSON_FILE);
    writeCloudJson(cloudJsonPath, cloudJson);

    return {
      dataDir,
      region: config.region,
      accountId: config.accountId,
      endpoints: {
        iotControlPlane: controlPlane.url,
        mqttHost: urlHost,
        mqttPort: broker.port,
        oidcIssuer: identity.issuer,
        cognito: identity.cognitoEndpoint,
      },
      caPath,
      caPem: ca.caCertPem,
      admin: {
        accessKeyId: admin.record.accessKeyId,
        secretAccessKey: admin.record.secretAccessKey,
        principalArn: admin.record.principalArn,
        credentialsPath: admin.path,
      },
      identityPoolId: cloudJson.cognito.identityPoolId,
      clientId: client.clientId,
      providerName: cloudJson.cognito.providerName,
      provisioningTemplateName: config.provisioningTemplateName,
      ...(cloudJson.demoUser ? { demoUser: cloudJson.demoUser } : {}),
      cloudJsonPath,
      cloudJson,
      registry,
      ca,
      lambda,
      credentials,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
