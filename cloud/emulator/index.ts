import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmulatorCa } from './ca/index.js';
import { Registry } from './registry/index.js';
import { startControlPlane } from './control-plane/index.js';
import type { ControlPlane } from './control-plane/index.js';
import { startBroker } from './broker/index.js';
import type { BrokerOptions, RunningBroker } from './broker/index.js';
import type { CredentialStore } from './contracts/index.js';
import { defaultConfig, writeFileAtomic, CLOUD_JSON_FILE, CLOUD_JSON_VERSION, writeCloudJson } from './config/index.js';
import type { EmulatorConfig, CloudJson } from './config/index.js';
import { providerNameFor, startIdentity } from './identity/index.js';
import type { RunningIdentity } from './identity/index.js';
import { loadOrCreateAdminCredentials } from './admin-credentials.js';
import { EmulatedLambda } from './lambda/index.js';
import { productHookTargets } from './product-hook.js';

export type { CloudJson, EmulatorConfig } from './config/index.js';

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
  /** The minimal Lambda (functions deployed by `npx tp-setup --real --endpoint-url …`). */
  lambda: EmulatedLambda;
  credentials: CredentialStore;
  close(): Promise<void>;
}

/**
 * Starts the whole cloud emulator in-process: CA, registry, AWS IoT control plane, MQTT broker,
 * OIDC provider and Cognito identity pool; writes `<dataDir>/cloud.json`.
 */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const ctx = startContext(options);
  const closers: Closer[] = [];
  try {
    const stores = await openStores(ctx, closers);
    const iot = await startIot(ctx, stores, closers);
    const identity = await startIdentity({
      dataDir: join(ctx.dataDir, 'identity'),
      config: ctx.config,
      credentials: stores.credentials,
      host: ctx.host,
      ports: { oidc: ctx.ports.oidc, cognito: ctx.ports.cognito },
      ...ctx.nowOption,
    }).catch((cause: unknown) => {
      throw new EmulatorStartError('identity', ctx.ports.oidc, { cause });
    });
    closers.push(() => identity.close());
    const cloudJson = emulatorCloudJson(ctx, stores, iot, identity);
    const cloudJsonPath = join(ctx.dataDir, CLOUD_JSON_FILE);
    writeCloudJson(cloudJsonPath, cloudJson);
    return {
      ...describeRunning(ctx, stores, iot, cloudJson),
      cloudJsonPath,
      cloudJson,
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

type Closer = () => Promise<void> | void;

/** Closes in reverse order of starting; one failure is logged and does not stop the others. */
async function closeAll(closers: Closer[]): Promise<void> {
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (err) {
      console.error('cloud emulator: error while closing:', err);
    }
  }
}

/** The options resolved once: data directory, configuration, bind address, ports, clock. */
interface StartContext {
  dataDir: string;
  config: EmulatorConfig;
  host: string;
  /** The host clients are given (loopback for a wildcard bind). */
  urlHost: string;
  ports: Required<EmulatorPorts>;
  /** `{ now }` when a clock was given, to spread into the parts' options. */
  nowOption: { now?: () => Date };
}

function startContext(options: EmulatorOptions): StartContext {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config = options.config ?? defaultConfig();
  const host = options.host ?? config.host ?? '127.0.0.1';
  return {
    dataDir,
    config,
    host,
    urlHost: ['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host,
    ports: { iot: 0, mqtt: 0, oidc: 0, cognito: 0, ...config.ports, ...options.ports },
    nowOption: options.now ? { now: options.now } : {},
  };
}

/** The persistent parts: the CA (and its public PEM), the registry, the admin key. */
interface Stores {
  ca: EmulatorCa;
  caPath: string;
  registry: Registry;
  credentials: CredentialStore;
  admin: ReturnType<typeof loadOrCreateAdminCredentials>;
}

async function openStores(ctx: StartContext, closers: Closer[]): Promise<Stores> {
  const { config, dataDir } = ctx;
  const ca = await EmulatorCa.openOrCreate(join(dataDir, 'ca'));
  const caPath = join(dataDir, CA_PEM_FILE);
  writeFileAtomic(caPath, ca.caCertPem, 0o644);
  const registry = Registry.open(join(dataDir, REGISTRY_FILE), {
    region: config.region,
    accountId: config.accountId,
    ...ctx.nowOption,
  });
  closers.push(() => registry.close());
  const credentials = registry.credentials;
  const admin = loadOrCreateAdminCredentials(dataDir, config.accountId);
  credentials.put(admin.record);
  return { ca, caPath, registry, credentials, admin };
}

/** The AWS IoT side: MQTT broker, control plane (with the minimal Lambda and IAM) and the product's hook. */
interface IotSide {
  broker: RunningBroker;
  controlPlane: ControlPlane;
  lambda: EmulatedLambda;
}

async function startIot(ctx: StartContext, stores: Stores, closers: Closer[]): Promise<IotSide> {
  const { config, ports } = ctx;
  const { registry, ca, credentials } = stores;
  // The template's hook ARN runs the product's hook in-process, once the control plane it calls is up.
  const hookTargets: NonNullable<NonNullable<BrokerOptions['hooks']>['targets']> = {};
  const broker = await startBroker({
    registry,
    ca,
    host: ctx.host,
    port: ports.mqtt,
    region: config.region,
    accountId: config.accountId,
    hooks: { targets: hookTargets },
    ...ctx.nowOption,
  }).catch((cause: unknown) => {
    throw new EmulatorStartError('mqtt', ports.mqtt, { cause });
  });
  closers.push(() => broker.close());
  const lambda = new EmulatedLambda({
    dataDir: ctx.dataDir,
    region: config.region,
    accountId: config.accountId,
    credentials,
    now: ctx.nowOption.now ?? (() => new Date()),
  });
  const controlPlane = await startControlPlane({
    otherServices: lambda.api,
    registry,
    ca,
    credentials,
    region: config.region,
    accountId: config.accountId,
    host: ctx.host,
    port: ports.iot,
    // DescribeEndpoint answers a bare host name, as AWS does (samples pass it to `--endpoint`);
    // the broker's port is in cloud.json (`iot.mqttPort`), 8883 by default as on AWS.
    dataEndpoint: ctx.urlHost,
    ...ctx.nowOption,
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
    ...ctx.nowOption,
  });
  Object.assign(hookTargets, productHook.targets);
  closers.push(() => productHook.close());
  return { broker, controlPlane, lambda };
}

/** What the device, the phone and setup read: endpoints, CA, pool, clients, the demo user. */
function emulatorCloudJson(ctx: StartContext, stores: Stores, iot: IotSide, identity: RunningIdentity): CloudJson {
  const { config } = ctx;
  const client = config.oidc.clients[0]!;
  const demo = config.oidc.users.find((u): u is typeof u & { password: string } => u.password !== undefined);
  const passwordClient = config.oidc.clients.find((c) => c.confidential && c.directAccessGrants);
  return {
    version: CLOUD_JSON_VERSION,
    region: config.region,
    accountId: config.accountId,
    iot: {
      controlPlaneEndpoint: iot.controlPlane.url,
      dataEndpoint: ctx.urlHost,
      mqttPort: iot.broker.port,
      caPath: stores.caPath,
      caPem: stores.ca.caCertPem,
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
    ...(demo ? { demoUser: { username: demo.username, password: demo.password } } : {}),
    admin: { credentialsPath: stores.admin.path },
  };
}

/** The running emulator as callers see it, from what cloud.json says and the in-process parts. */
function describeRunning(
  ctx: StartContext,
  stores: Stores,
  iot: IotSide,
  cloudJson: CloudJson,
): Omit<RunningEmulator, 'cloudJsonPath' | 'cloudJson' | 'close'> {
  const { config } = ctx;
  const { admin } = stores;
  return {
    dataDir: ctx.dataDir,
    region: config.region,
    accountId: config.accountId,
    endpoints: {
      iotControlPlane: iot.controlPlane.url,
      mqttHost: ctx.urlHost,
      mqttPort: iot.broker.port,
      oidcIssuer: cloudJson.oidc.issuer,
      cognito: cloudJson.cognito.endpoint,
    },
    caPath: stores.caPath,
    caPem: stores.ca.caCertPem,
    admin: {
      accessKeyId: admin.record.accessKeyId,
      secretAccessKey: admin.record.secretAccessKey,
      principalArn: admin.record.principalArn,
      credentialsPath: admin.path,
    },
    identityPoolId: cloudJson.cognito.identityPoolId,
    clientId: cloudJson.oidc.clientId,
    providerName: cloudJson.cognito.providerName,
    provisioningTemplateName: config.provisioningTemplateName,
    ...(cloudJson.demoUser ? { demoUser: cloudJson.demoUser } : {}),
    registry: stores.registry,
    ca: stores.ca,
    lambda: iot.lambda,
    credentials: stores.credentials,
  };
}
