import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textMatching } from '../matchers.js';
import { makeCsr, request, startIotFixture, TEMPLATE_BODY, TEMPLATE_NAME } from './fixture.js';
import type { IotFixture } from './fixture.js';

const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:provisioning-hook';

interface Created {
  certificateId: string;
  certificateOwnershipToken: string;
}

const HOOK_TIMEOUT_MS = 2_000;

describe('pre-provisioning hook and transactional RegisterThing', () => {
  let fx: IotFixture;
  let server: Server;
  let hookUrl: string;
  let hookInputs: unknown[];
  let hookAnswer: ((body: unknown) => unknown) | 'hang';
  let claimClient: MqttClient;
  let claimId: string;

  beforeAll(async () => {
    fx = await startIotFixture({
      broker: {
        // Long enough for an answering hook on a loaded machine; the hanging one costs this once.
        hookTimeoutMs: HOOK_TIMEOUT_MS,
        hooks: {
          targets: {
            [LAMBDA_ARN]: (input) => ({
              allowProvisioning: input.parameters.SerialNumber === 'lambda1',
              parameterOverrides: { DeviceLocation: 'Lambda' },
            }),
          },
        },
      },
    });
    hookInputs = [];
    hookAnswer = () => ({ allowProvisioning: true });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const input = JSON.parse(body) as unknown;
        hookInputs.push(input);
        if (hookAnswer === 'hang') return; // never answers: the emulator must time out
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(hookAnswer(input)));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const claim = await fx.newClaim();
    claimId = claim.certificateId;
    claimClient = await fx.connect(claim, { clientId: 'hook-claim' });
  });
  afterAll(async () => {
    claimClient.end(true);
    server.closeAllConnections();
    server.close();
    await fx.close();
  });

  async function newCertificate(): Promise<Created> {
    const { csrPem } = await makeCsr('ec');
    const r = await request(
      claimClient,
      '$aws/certificates/create-from-csr/json',
      JSON.stringify({ certificateSigningRequest: csrPem }),
    );
    return JSON.parse(r.payload.toString()) as Created;
  }

  async function register(
    token: string,
    parameters: Record<string, string>,
  ): Promise<{ outcome: string; body: Record<string, unknown> }> {
    const r = await request(
      claimClient,
      `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
      JSON.stringify({ certificateOwnershipToken: token, parameters }),
    );
    return { outcome: r.outcome, body: JSON.parse(r.payload.toString()) as Record<string, unknown> };
  }

  it('calls an HTTP hook with AWS input shape and applies its parameterOverrides', async () => {
    fx.registry.templates.update(TEMPLATE_NAME, {
      preProvisioningHook: { targetArn: hookUrl, payloadVersion: '2020-04-01' },
    });
    hookAnswer = () => ({ allowProvisioning: true, parameterOverrides: { DeviceLocation: 'FromHook' } });
    const cert = await newCertificate();
    const r = await register(cert.certificateOwnershipToken, { SerialNumber: 'hook1' });
    expect(r).toEqual({
      outcome: 'accepted',
      body: {
        deviceConfiguration: { FallbackUrl: 'https://www.example.com/test-site', Location: 'FromHook' },
        thingName: 'mything_hook1',
      },
    });
    const input = hookInputs.at(-1) as Record<string, unknown>;
    expect(Object.keys(input).sort()).toEqual([
      'certificateId',
      'certificatePem',
      'claimCertificateId',
      'clientId',
      'parameters',
      'templateArn',
    ]);
    expect(input).toMatchObject({
      claimCertificateId: claimId,
      certificateId: cert.certificateId,
      templateArn: `arn:aws:iot:us-east-1:123456789012:provisioningtemplate/${TEMPLATE_NAME}`,
      clientId: 'hook-claim',
      parameters: { SerialNumber: 'hook1' },
    });
  });

  it('answers 403 ACCESS_DENIED when the hook refuses, and leaves nothing behind', async () => {
    hookAnswer = () => ({ allowProvisioning: false });
    const cert = await newCertificate();
    const r = await register(cert.certificateOwnershipToken, { SerialNumber: 'refused' });
    expect(r.outcome).toBe('rejected');
    expect(r.body).toMatchObject({ statusCode: 403, errorCode: 'ACCESS_DENIED' });
    expect(fx.registry.things.get('mything_refused')).toBeUndefined();
    expect(fx.registry.certificates.get(cert.certificateId)?.status).toBe('PENDING_ACTIVATION');
  });

  it('answers ACCESS_DENIED when the hook does not answer in time', async () => {
    hookAnswer = 'hang';
    const cert = await newCertificate();
    const r = await register(cert.certificateOwnershipToken, { SerialNumber: 'late' });
    expect(r.body).toMatchObject({ statusCode: 403, errorCode: 'ACCESS_DENIED' });
    expect(String(r.body.errorMessage)).toContain(`did not answer within ${HOOK_TIMEOUT_MS} ms`);
  });

  it('runs a local module hook', async () => {
    const modulePath = join(fx.dir, 'hook.mjs');
    await writeFile(
      modulePath,
      'export default (input) => ({ allowProvisioning: input.parameters.SerialNumber.startsWith("ok"), parameterOverrides: { DeviceLocation: "Module" } });\n',
    );
    fx.registry.templates.update(TEMPLATE_NAME, { preProvisioningHook: { targetArn: modulePath } });
    const ok = await register((await newCertificate()).certificateOwnershipToken, { SerialNumber: 'ok1' });
    expect(ok.body).toMatchObject({ thingName: 'mything_ok1', deviceConfiguration: { Location: 'Module' } });
    const no = await register((await newCertificate()).certificateOwnershipToken, { SerialNumber: 'no1' });
    expect(no.body).toMatchObject({ errorCode: 'ACCESS_DENIED' });
    fx.registry.templates.update(TEMPLATE_NAME, { preProvisioningHook: null });
  });

  it('maps a Lambda ARN to a configured local handler, and refuses unmapped ARNs', async () => {
    fx.registry.templates.update(TEMPLATE_NAME, { preProvisioningHook: { targetArn: LAMBDA_ARN } });
    const ok = await register((await newCertificate()).certificateOwnershipToken, { SerialNumber: 'lambda1' });
    expect(ok.body).toMatchObject({ thingName: 'mything_lambda1', deviceConfiguration: { Location: 'Lambda' } });
    fx.registry.templates.update(TEMPLATE_NAME, {
      preProvisioningHook: { targetArn: 'arn:aws:lambda:us-east-1:123456789012:function:unknown' },
    });
    const no = await register((await newCertificate()).certificateOwnershipToken, { SerialNumber: 'lambda2' });
    expect(no.body).toMatchObject({
      statusCode: 403,
      errorCode: 'ACCESS_DENIED',
      errorMessage: textMatching(/no local target/),
    });
    fx.registry.templates.update(TEMPLATE_NAME, { preProvisioningHook: null });
  });

  it('rolls a failing RegisterThing back and keeps its token usable', async () => {
    const body = JSON.parse(TEMPLATE_BODY) as { Resources: Record<string, unknown> };
    body.Resources.missing = { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'DoesNotExist' } };
    fx.registry.templates.createVersion(TEMPLATE_NAME, JSON.stringify(body), true);
    const cert = await newCertificate();
    const r = await register(cert.certificateOwnershipToken, { SerialNumber: 'rollback' });
    expect(r.body).toMatchObject({ statusCode: 400, errorCode: 'ResourceNotFound' });
    expect(fx.registry.things.get('mything_rollback')).toBeUndefined();
    expect(fx.registry.certificates.get(cert.certificateId)?.status).toBe('PENDING_ACTIVATION');
    expect(fx.registry.policies.listAttached(fx.registry.arn('cert', cert.certificateId))).toEqual([]);

    fx.registry.templates.update(TEMPLATE_NAME, { defaultVersionId: 1 });
    const retry = await register(cert.certificateOwnershipToken, { SerialNumber: 'rollback' });
    expect(retry.body).toMatchObject({ thingName: 'mything_rollback' });
  });

  it('rejects bad requests with AWS error shapes', async () => {
    expect((await register('', { SerialNumber: 'x' })).body).toEqual({
      statusCode: 400,
      errorCode: 'InvalidCertificateOwnershipToken',
      errorMessage: 'Certificate ownership token cannot be empty.',
    });
    const cert = await newCertificate();
    expect((await register(cert.certificateOwnershipToken, {})).body).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidParameters',
      errorMessage: 'Missing value for parameter SerialNumber',
    });
    const bad = await request(claimClient, `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`, 'not json');
    expect(JSON.parse(bad.payload.toString())).toMatchObject({ statusCode: 400, errorCode: 'InvalidPayload' });
    // The ownership token expires after an hour (a claim made at that later time asks).
    fx.clock.now = new Date(fx.clock.now.getTime() + 60 * 60_000);
    const later = await fx.connect(await fx.newClaim(), { clientId: 'hook-claim-later' });
    const late = await request(
      later,
      `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
      JSON.stringify({
        certificateOwnershipToken: cert.certificateOwnershipToken,
        parameters: { SerialNumber: 'late-token' },
      }),
    );
    later.end(true);
    fx.clock.now = new Date();
    expect(JSON.parse(late.payload.toString())).toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidCertificateOwnershipToken',
    });
  });
});
