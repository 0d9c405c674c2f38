import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textMatching } from '../matchers.js';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import {
  CreateProvisioningClaimCommand,
  DescribeThingCommand,
  GetPolicyCommand,
  IoTClient,
  ListThingsCommand,
} from '@aws-sdk/client-iot';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { startEmulator } from '../../cloud/emulator/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { runSetup } from '../../cloud/setup/setup.js';
import { DEVICE_POLICY_NAME, TEMPLATE_NAME } from '../../cloud/deploy/documents.js';
import * as client from 'openid-client';
import { codeFlowLogin, deviceGrantLogin, discover } from '../cloud-identity/login.js';

/** How long to wait for one MQTT answer before failing the test (ms). */
const ANSWER_TIMEOUT_MS = 10_000;

function nextMessage(client: MqttClient, topics: string[]): Promise<{ topic: string; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${topics.join(', ')}`)), ANSWER_TIMEOUT_MS);
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!topics.includes(topic)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, body: JSON.parse(payload.toString('utf8')) as Record<string, unknown> });
    };
    client.on('message', onMessage);
  });
}

describe('the whole emulator: login → Cognito → claim → broker', () => {
  let dir: string;
  let cloud: RunningEmulator;
  let admin: IoTClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloud-chain-'));
    cloud = await startEmulator({ dataDir: dir });
    admin = new IoTClient({
      region: cloud.region,
      endpoint: cloud.endpoints.iotControlPlane,
      credentials: { accessKeyId: cloud.admin.accessKeyId, secretAccessKey: cloud.admin.secretAccessKey },
    });
  });
  afterAll(async () => {
    admin?.destroy();
    await cloud?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('setup creates the policy and the template, and a second run changes nothing', async () => {
    const options = {
      region: cloud.region,
      accountId: cloud.accountId,
      policyName: DEVICE_POLICY_NAME,
      templateName: TEMPLATE_NAME,
      provisioningRoleArn: `arn:aws:iam::${cloud.accountId}:role/service-role/IoTFleetProvisioningRole`,
    };
    const first = await runSetup(admin, options);
    expect(first.policy.action).toBe('created');
    expect(first.template.action).toBe('created');
    const second = await runSetup(admin, options);
    expect(second.policy.action).toBe('unchanged');
    expect(second.template.action).toBe('unchanged');
    const policy = await admin.send(new GetPolicyCommand({ policyName: DEVICE_POLICY_NAME }));
    expect(policy.policyDocument).toContain('client/${iot:Connection.Thing.ThingName}');
  });

  it('gives the trusted user credentials that may create a claim but not list things', async () => {
    const config = await discover(cloud.endpoints.oidcIssuer, cloud.clientId);
    const { tokens } = await codeFlowLogin(config, cloud.demoUser!.username, cloud.demoUser!.password);
    const credentials = fromCognitoIdentityPool({
      identityPoolId: cloud.identityPoolId,
      logins: { [cloud.providerName]: tokens.id_token! },
      clientConfig: { region: cloud.region, endpoint: cloud.endpoints.cognito },
    });
    const phone = new IoTClient({ region: cloud.region, endpoint: cloud.endpoints.iotControlPlane, credentials });
    try {
      const claim = await phone.send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME }));
      expect(claim.certificatePem).toContain('BEGIN CERTIFICATE');
      await expect(phone.send(new ListThingsCommand({}))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      await expect(
        phone.send(new CreateProvisioningClaimCommand({ templateName: 'SomeOtherTemplate' })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    } finally {
      phone.destroy();
    }
  });

  it('runs the chain: device-grant login → GetId → GetCredentialsForIdentity → claim → broker → RegisterThing', async () => {
    const config = await discover(cloud.endpoints.oidcIssuer, cloud.clientId);
    const tokens = await deviceGrantLogin(config, cloud.demoUser!.username, cloud.demoUser!.password);
    const credentials = fromCognitoIdentityPool({
      identityPoolId: cloud.identityPoolId,
      logins: { [cloud.providerName]: tokens.id_token! },
      clientConfig: { region: cloud.region, endpoint: cloud.endpoints.cognito },
    });
    const phone = new IoTClient({ region: cloud.region, endpoint: cloud.endpoints.iotControlPlane, credentials });
    const claim = await phone
      .send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME }))
      .finally(() => phone.destroy());

    const url = `mqtts://${cloud.endpoints.mqttHost}:${cloud.endpoints.mqttPort}`;
    const device = await mqtt.connectAsync(url, {
      clientId: 'claim-chain-test',
      ca: cloud.caPem,
      cert: claim.certificatePem!,
      key: claim.keyPair!.PrivateKey!,
      rejectUnauthorized: true,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    let thingName: string;
    try {
      await device.subscribeAsync(['$aws/certificates/create/json/accepted', '$aws/certificates/create/json/rejected']);
      const created = nextMessage(device, [
        '$aws/certificates/create/json/accepted',
        '$aws/certificates/create/json/rejected',
      ]);
      await device.publishAsync('$aws/certificates/create/json', '{}');
      const keys = await created;
      expect(keys.topic).toBe('$aws/certificates/create/json/accepted');

      const base = `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`;
      await device.subscribeAsync([`${base}/accepted`, `${base}/rejected`]);
      const registered = nextMessage(device, [`${base}/accepted`, `${base}/rejected`]);
      await device.publishAsync(
        base,
        JSON.stringify({
          certificateOwnershipToken: keys.body.certificateOwnershipToken,
          parameters: { SerialNumber: 'chain1', DeviceLocation: 'lab' },
        }),
      );
      const answer = await registered;
      expect(answer.topic).toBe(`${base}/accepted`);
      thingName = String(answer.body.thingName);
      expect(thingName).toBe('mything_chain1');

      const thing = await admin.send(new DescribeThingCommand({ thingName }));
      // provisionedBy: the product's pre-provisioning hook records the claim certificate that registered it.
      expect(thing.attributes).toEqual({
        SerialNumber: 'chain1',
        DeviceLocation: 'lab',
        provisionedBy: textMatching(/^claim\/[0-9a-f]{64}\/[0-9a-f]{64}\/\d+$/),
      });

      // The permanent certificate works under the tightened pubsub policy: own client id, own topics.
      const permanent = await mqtt.connectAsync(url, {
        clientId: thingName,
        ca: cloud.caPem,
        cert: String(keys.body.certificatePem),
        key: String(keys.body.privateKey),
        rejectUnauthorized: true,
        reconnectPeriod: 0,
        protocolVersion: 4,
      });
      try {
        const topic = `things/${thingName}/hello`;
        await permanent.subscribeAsync(topic);
        const echo = nextMessage(permanent, [topic]);
        await permanent.publishAsync(topic, JSON.stringify({ hello: 'world' }), { qos: 1 });
        expect((await echo).body).toEqual({ hello: 'world' });
      } finally {
        await permanent.endAsync();
      }
    } finally {
      await device.endAsync();
    }
  });

  it('keeps everything across a restart on the same ports: admin key, things, identities, refresh tokens', async () => {
    const config = await discover(cloud.endpoints.oidcIssuer, cloud.clientId);
    const { tokens } = await codeFlowLogin(config, cloud.demoUser!.username, cloud.demoUser!.password);
    const before = { admin: cloud.admin.accessKeyId, caPem: cloud.caPem, endpoints: cloud.endpoints };
    const ports = {
      iot: Number(new URL(cloud.endpoints.iotControlPlane).port),
      mqtt: cloud.endpoints.mqttPort,
      oidc: Number(new URL(cloud.endpoints.oidcIssuer).port),
      cognito: Number(new URL(cloud.endpoints.cognito).port),
    };
    admin.destroy();
    await cloud.close();
    cloud = await startEmulator({ dataDir: dir, ports });
    admin = new IoTClient({
      region: cloud.region,
      endpoint: cloud.endpoints.iotControlPlane,
      credentials: { accessKeyId: cloud.admin.accessKeyId, secretAccessKey: cloud.admin.secretAccessKey },
    });
    expect({ admin: cloud.admin.accessKeyId, caPem: cloud.caPem, endpoints: cloud.endpoints }).toEqual(before);
    expect((await admin.send(new DescribeThingCommand({ thingName: 'mything_chain1' }))).thingName).toBe(
      'mything_chain1',
    );
    // The first fetch may land on a keep-alive socket the old server closed: one retry.
    const again = await discover(cloud.endpoints.oidcIssuer, cloud.clientId).catch(() =>
      discover(cloud.endpoints.oidcIssuer, cloud.clientId),
    );
    const refreshed = await client.refreshTokenGrant(again, tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(cloud.demoUser!.username);
  });
});

describe('temporary credentials expire', () => {
  it('are refused by the control plane once the (injected) clock passes their Expiration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloud-expiry-'));
    let offsetMs = 0;
    const cloud = await startEmulator({ dataDir: dir, now: () => new Date(Date.now() + offsetMs) });
    try {
      const config = await discover(cloud.endpoints.oidcIssuer, cloud.clientId);
      const { tokens } = await codeFlowLogin(config, cloud.demoUser!.username, cloud.demoUser!.password);
      const creds = await fromCognitoIdentityPool({
        identityPoolId: cloud.identityPoolId,
        logins: { [cloud.providerName]: tokens.id_token! },
        clientConfig: { region: cloud.region, endpoint: cloud.endpoints.cognito },
      })();
      const phone = new IoTClient({
        region: cloud.region,
        endpoint: cloud.endpoints.iotControlPlane,
        maxAttempts: 1,
        credentials: {
          accessKeyId: creds.accessKeyId,
          secretAccessKey: creds.secretAccessKey,
          sessionToken: creds.sessionToken!,
        },
      });
      try {
        // Allowed by policy, refused for the missing template: the credentials themselves are good.
        await expect(
          phone.send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME })),
        ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
        offsetMs = 2 * 3600_000;
        // The phone's clock agrees with the emulator's (else the signature itself is refused as skewed).
        const later = new IoTClient({
          region: cloud.region,
          endpoint: cloud.endpoints.iotControlPlane,
          maxAttempts: 1,
          systemClockOffset: offsetMs,
          credentials: {
            accessKeyId: creds.accessKeyId,
            secretAccessKey: creds.secretAccessKey,
            sessionToken: creds.sessionToken!,
          },
        });
        await expect(later.send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME })))
          .rejects.toMatchObject({ name: 'ExpiredTokenException', $metadata: { httpStatusCode: 403 } })
          .finally(() => later.destroy());
      } finally {
        phone.destroy();
      }
    } finally {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
