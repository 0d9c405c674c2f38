/**
 * The seed document's flow end to end, unchanged in its steps: the phone logs in with the password
 * grant as a confidential client (mobile_claim.py with python-keycloak), passes the *access token*
 * to Cognito, gets credentials and a claim; the device runs AWS's fleet-provisioning sample flow
 * with the installed aws-iot-device-sdk-v2 (IotIdentityClientv2 over MQTT 3.1.1:
 * CreateKeysAndCertificate, then RegisterThing with SerialNumber and DeviceLocation), then the
 * pubsub sample's 10 messages — with the least-privilege policy (client id = thing name, topic under
 * `things/<thing>/`) and with the seed's policy (`npx tp-setup --policy seed`: default client id
 * `test-<uuid>`, topic `test/topic`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { CreateProvisioningClaimCommand, IoTClient } from '@aws-sdk/client-iot';
import { iot, iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth } from '../../central/auth/auth.js';
import { TokenCache } from '../../central/auth/token-cache.js';
import { readClientSecretFile } from '../../apps/central/cli/context.js';
import { startEmulator } from '../../cloud/emulator/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { DEVICE_POLICY_NAME, PROVISIONING_ROLE_NAME, TEMPLATE_NAME } from '../../cloud/deploy/documents.js';
import type { PolicyChoice } from '../../cloud/setup/seed-policy.js';
import { runSetup } from '../../cloud/setup/setup.js';

const RR_OPTIONS = { maxRequestResponseSubscriptions: 4, maxStreamingSubscriptions: 2, operationTimeoutInSeconds: 10 };
/** The pubsub sample's default message count. */
const MESSAGES = 10;

let dir: string;
let cloud: RunningEmulator;
let admin: IoTClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'seed-flow-'));
  cloud = await startEmulator({ dataDir: join(dir, 'cloud'), ports: { iot: 0, mqtt: 0, oidc: 0, cognito: 0 } });
  admin = new IoTClient({
    region: cloud.region,
    endpoint: cloud.endpoints.iotControlPlane,
    credentials: { accessKeyId: cloud.admin.accessKeyId, secretAccessKey: cloud.admin.secretAccessKey },
  });
});
afterAll(async () => {
  admin?.destroy();
  await cloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function setup(policy: PolicyChoice): Promise<void> {
  await runSetup(admin, {
    region: cloud.region,
    accountId: cloud.accountId,
    policyName: DEVICE_POLICY_NAME,
    templateName: TEMPLATE_NAME,
    policy,
    provisioningRoleArn: `arn:aws:iam::${cloud.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
  });
}

/** mobile_claim.py: password grant (confidential client), the access token to Cognito, a claim. */
async function phoneGetsClaim(name: string): Promise<{ cert: string; key: string }> {
  const pc = cloud.cloudJson.oidc.passwordClient!;
  const auth = new Auth({
    issuer: cloud.endpoints.oidcIssuer,
    clientId: pc.clientId,
    clientSecret: readClientSecretFile(pc.clientSecretPath, pc.clientId),
    scope: 'openid',
    cache: new TokenCache(join(dir, `${name}-tokens.json`)),
  });
  const tokens = await auth.loginWithPassword(cloud.demoUser!.username, cloud.demoUser!.password);
  const cognito = new CognitoIdentityClient({ region: cloud.region, endpoint: cloud.endpoints.cognito });
  const logins = { [cloud.providerName]: tokens.accessToken };
  try {
    const { IdentityId } = await cognito.send(
      new GetIdCommand({ IdentityPoolId: cloud.identityPoolId, Logins: logins }),
    );
    const { Credentials } = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
    const phone = new IoTClient({
      region: cloud.region,
      endpoint: cloud.endpoints.iotControlPlane,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
    try {
      const claim = await phone.send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME }));
      return { cert: claim.certificatePem!, key: claim.keyPair!.PrivateKey! };
    } finally {
      phone.destroy();
    }
  } finally {
    cognito.destroy();
  }
}

async function connect(cert: string, key: string, clientId: string): Promise<mqtt.MqttClientConnection> {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(cert, key)
    .with_certificate_authority(cloud.caPem)
    .with_endpoint(cloud.endpoints.mqttHost)
    .with_port(cloud.endpoints.mqttPort)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(30)
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  await connection.connect();
  return connection;
}

/** The fleet_provisioning sample with a claim: CreateKeysAndCertificate, then RegisterThing. */
async function deviceProvisions(
  claim: { cert: string; key: string },
  serial: string,
): Promise<{ thingName: string; cert: string; key: string }> {
  const connection = await connect(claim.cert, claim.key, `test-${randomUUID()}`);
  const identity = iotidentity.IotIdentityClientv2.newFromMqtt311(connection, RR_OPTIONS);
  try {
    const created = await identity.createKeysAndCertificate({});
    const registered = await identity.registerThing({
      templateName: TEMPLATE_NAME,
      certificateOwnershipToken: created.certificateOwnershipToken!,
      parameters: { SerialNumber: serial, DeviceLocation: 'Beijing' },
    });
    return { thingName: registered.thingName!, cert: created.certificatePem!, key: created.privateKey! };
  } finally {
    identity.close();
    await connection.disconnect();
  }
}

/** The pubsub sample: subscribe to the topic, publish `"Hello World! [n]"` n = 1..10, count what comes back. */
async function pubsub(connection: mqtt.MqttClientConnection, topic: string): Promise<string[]> {
  const received: string[] = [];
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const sub = await connection.subscribe(topic, mqtt.QoS.AtLeastOnce, (_t, payload) => {
    received.push(Buffer.from(payload).toString());
    if (received.length === MESSAGES) done();
  });
  if (sub.error_code !== undefined && sub.error_code !== 0) throw new Error(`SUBACK ${sub.error_code}`);
  for (let n = 1; n <= MESSAGES; n++)
    await connection.publish(topic, JSON.stringify(`Hello World! [${n}]`), mqtt.QoS.AtLeastOnce);
  await all;
  return received;
}

const EXPECTED = Array.from({ length: MESSAGES }, (_, i) => JSON.stringify(`Hello World! [${i + 1}]`));

describe("the seed document's flow, unchanged", () => {
  it("with the least-privilege policy: client id = thing name, the thing's own topic; test/topic refused", async () => {
    await setup('least-privilege');
    const device = await deviceProvisions(await phoneGetsClaim('lp'), '1');
    expect(device.thingName).toBe('mything_1');
    const connection = await connect(device.cert, device.key, device.thingName);
    try {
      expect(await pubsub(connection, `things/${device.thingName}/test/topic`)).toEqual(EXPECTED);
      // The seed's own topic is outside this policy: SUBACK 0x80 (MQTT 3.1.1's failure).
      const refused = await connection.subscribe('test/topic', mqtt.QoS.AtLeastOnce);
      expect(Number(refused.qos)).toBe(128);
    } finally {
      await connection.disconnect();
    }
    // The sample's default client id is refused by this policy.
    await expect(connect(device.cert, device.key, `test-${randomUUID()}`)).rejects.toBeDefined();
  });

  it("with the seed's policy (npx tp-setup --policy seed): the pubsub sample's defaults, test/topic, 10/10", async () => {
    await setup('seed');
    const device = await deviceProvisions(await phoneGetsClaim('seed'), '2');
    expect(device.thingName).toBe('mything_2');
    const connection = await connect(device.cert, device.key, `test-${randomUUID()}`);
    try {
      expect(await pubsub(connection, 'test/topic')).toEqual(EXPECTED);
    } finally {
      await connection.disconnect();
    }
  });
});
