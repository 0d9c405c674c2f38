/**
 * `npx tp-setup --real`'s code path against the emulator (the same APIs AWS serves): the hook is
 * bundled, zipped and deployed as a Lambda function with its IAM role and AWS IoT's invoke
 * permission, the template names it, and RegisterThing then runs the DEPLOYED bundle in the
 * emulator's Lambda (its log shows the decisions): the takeover is refused, a new serial provisions.
 * A caller without IAM rights gets the exact commands to run instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateProvisioningClaimCommand, DescribeProvisioningTemplateCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../cloud/emulator/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import {
  DEVICE_POLICY_NAME,
  HOOK_FUNCTION_NAME,
  HOOK_ROLE_NAME,
  PROVISIONING_ROLE_NAME,
} from '../../cloud/deploy/documents.js';
import { deployHook, INVOKE_STATEMENT_ID } from '../../cloud/setup/lambda-deploy.js';
import { runSetup } from '../../cloud/setup/setup.js';
import { readStoredZip } from '../../cloud/deploy/zip.js';
import { claimConnection, createCertificateFromCsr, registerThing } from './takeover-fixture.js';
import type { TestCloud } from './takeover-fixture.js';

let dir: string;
let emu: RunningEmulator;
let iot: IoTClient;
let lambda: LambdaClient;
let iam: IAMClient;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'setup-real-'));
  emu = await startEmulator({ dataDir: dir });
  // As --real with --endpoint-url: one URL serves IoT, Lambda and IAM.
  const config = {
    region: emu.region,
    endpoint: emu.endpoints.iotControlPlane,
    credentials: { accessKeyId: emu.admin.accessKeyId, secretAccessKey: emu.admin.secretAccessKey },
  };
  iot = new IoTClient(config);
  lambda = new LambdaClient(config);
  iam = new IAMClient(config);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  iot?.destroy();
  lambda?.destroy();
  iam?.destroy();
  await emu?.close();
  await rm(dir, { recursive: true, force: true });
});

const account = (): { region: string; accountId: string } => ({ region: emu.region, accountId: emu.accountId });

/** The shape the takeover fixture needs (a claim straight from the control plane). */
function asTestCloud(): TestCloud {
  return {
    emu,
    iot,
    async claim() {
      const out = await iot.send(new CreateProvisioningClaimCommand({ templateName: emu.provisioningTemplateName }));
      return {
        type: 'claim',
        certificatePem: out.certificatePem!,
        privateKeyPem: out.keyPair!.PrivateKey!,
        host: emu.endpoints.mqttHost,
        port: emu.endpoints.mqttPort,
        templateName: emu.provisioningTemplateName,
        parameters: {},
        expiresAt: Math.floor(out.expiration!.getTime() / 1000),
      };
    },
    close: () => Promise.resolve(),
  };
}

describe('setup --real against the emulator: the hook deployed as a Lambda function', () => {
  it('deploys role, function and invoke permission idempotently, and the template names the function', async () => {
    const options = { ...account(), templateName: emu.provisioningTemplateName, sleep: () => Promise.resolve() };
    const first = await deployHook({ lambda, iam }, options);
    expect(first).toMatchObject({
      role: { action: 'created' },
      function: { action: 'created' },
      permission: { action: 'created' },
      manualSteps: [],
    });
    expect(first.functionArn).toBe(`arn:aws:lambda:${emu.region}:${emu.accountId}:function:${HOOK_FUNCTION_NAME}`);
    expect(readStoredZip(first.zip).map((e) => e.name)).toEqual(['index.js']);
    const policy = JSON.parse(
      (await lambda.send(new GetPolicyCommand({ FunctionName: HOOK_FUNCTION_NAME }))).Policy!,
    ) as { Statement: unknown[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Sid: INVOKE_STATEMENT_ID,
        Principal: { Service: 'iot.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Condition: {
          StringEquals: { 'AWS:SourceAccount': emu.accountId },
          ArnLike: {
            'AWS:SourceArn': `arn:aws:iot:${emu.region}:${emu.accountId}:provisioningtemplate/${emu.provisioningTemplateName}`,
          },
        },
      }),
    ]);
    const second = await deployHook({ lambda, iam }, options);
    expect(second).toMatchObject({
      role: { action: 'unchanged' },
      function: { action: 'unchanged' },
      permission: { action: 'unchanged' },
    });

    await runSetup(iot, {
      ...account(),
      policyName: DEVICE_POLICY_NAME,
      templateName: emu.provisioningTemplateName,
      provisioningRoleArn: `arn:aws:iam::${emu.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
      preProvisioningHookArn: first.functionArn,
    });
    const t = await iot.send(new DescribeProvisioningTemplateCommand({ templateName: emu.provisioningTemplateName }));
    expect(t.preProvisioningHook).toEqual({ targetArn: first.functionArn, payloadVersion: '2020-04-01' });
  }, 120_000);

  it('RegisterThing runs the deployed function: a new serial provisions, the takeover is refused', async () => {
    const cloud = asTestCloud();
    const owner = await claimConnection(cloud, 'real-owner');
    clients.push(owner.client);
    const cert = await createCertificateFromCsr(owner.client);
    expect(await registerThing(cloud, owner.client, cert.certificateOwnershipToken, 'SN-REAL')).toMatchObject({
      outcome: 'accepted',
      body: { thingName: 'mything_SN-REAL' },
    });

    const attacker = await claimConnection(cloud, 'real-attacker');
    clients.push(attacker.client);
    const stolen = await createCertificateFromCsr(attacker.client);
    expect(await registerThing(cloud, attacker.client, stolen.certificateOwnershipToken, 'SN-REAL')).toMatchObject({
      outcome: 'rejected',
      body: { errorCode: 'ACCESS_DENIED' },
    });
    expect(emu.registry.certificates.get(stolen.certificateId)?.status).toBe('PENDING_ACTIVATION');

    // The decisions were logged by the bundle in the emulator's Lambda, not by the in-process module.
    const log = emu.lambda
      .logOf(HOOK_FUNCTION_NAME)
      .split('\n')
      .filter((l) => l.startsWith('{"hook"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.map((l) => l.allow)).toEqual([true, false]);
    expect(String(log[1]?.reason)).toMatch(/ACTIVE certificate/);
  }, 120_000);

  it('a caller without IAM rights gets the exact IAM, Lambda and permission commands to run', async () => {
    const accessKeyId = 'AKIANOIAMRIGHTS00001';
    const secretAccessKey = 'no-iam-rights-secret-key-000000000000000';
    emu.credentials.put({
      accessKeyId,
      secretAccessKey,
      principalArn: `arn:aws:iam::${emu.accountId}:user/deployer`,
      policies: [
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:*', 'lambda:*'], Resource: '*' }] },
      ],
    });
    const config = {
      region: emu.region,
      endpoint: emu.endpoints.iotControlPlane,
      credentials: { accessKeyId, secretAccessKey },
    };
    const l = new LambdaClient(config);
    const i = new IAMClient(config);
    try {
      const out = await deployHook(
        { lambda: l, iam: i },
        {
          ...account(),
          templateName: emu.provisioningTemplateName,
          functionName: 'OtherHook',
          roleName: 'OtherHookRole',
          zipPath: '/tmp/hook.zip',
        },
      );
      expect(out).toMatchObject({
        role: { action: 'manual' },
        function: { action: 'manual' },
        permission: { action: 'manual' },
      });
      expect(out.manualSteps).toEqual([
        expect.stringMatching(
          /^aws iam create-role --role-name OtherHookRole --assume-role-policy-document '.*lambda\.amazonaws\.com.*'$/,
        ),
        expect.stringMatching(
          /^aws iam put-role-policy --role-name OtherHookRole --policy-name pre-provisioning-hook --policy-document '.*iot:DescribeThing.*'$/,
        ),
        expect.stringMatching(
          /^aws lambda create-function --function-name OtherHook .*--role arn:aws:iam::\d{12}:role\/OtherHookRole --zip-file fileb:\/\/\/tmp\/hook\.zip/,
        ),
        expect.stringMatching(
          /^aws lambda add-permission --function-name OtherHook .*--principal iot\.amazonaws\.com --source-arn arn:aws:iot:.*:provisioningtemplate\/\S+ --source-account \d{12}$/,
        ),
      ]);
      expect(emu.lambda.store.getRole('OtherHookRole')).toBeUndefined();
      expect(emu.lambda.store.getRole(HOOK_ROLE_NAME)).toBeDefined();
    } finally {
      l.destroy();
      i.destroy();
    }
  }, 60_000);
});
