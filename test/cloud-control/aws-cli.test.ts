/**
 * The AWS CLI (Debian's `awscli`, v2) against the control plane with `--endpoint-url`. CI installs it
 * (.ci/run); these tests fail, not skip, when it is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsCredentialRecord } from '../../cloud/emulator/contracts.js';
import type { Harness } from './harness.js';
import { ACCOUNT, ADMIN, DATA_ENDPOINT, PHONE, REGION, ROLE_ARN, TEMPLATE_BODY, TEMPLATE_NAME, startHarness } from './harness.js';

/** Debian's package installs /usr/bin/aws; prefer it over any other `aws` on PATH. */
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
/** A CLI run starts a Python interpreter; generous, but bounded. */
const CLI_TIMEOUT_MS = 60_000;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let h: Harness;

function cli(args: string[], creds: AwsCredentialRecord = ADMIN): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: h.dir,
    AWS_CONFIG_FILE: join(h.dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(h.dir, 'no-aws-credentials'),
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: REGION,
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(creds.sessionToken !== undefined ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
  };
  return new Promise((resolve) => {
    execFile(AWS, ['iot', ...args, '--endpoint-url', h.plane.url, '--output', 'json'], { env, timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(args: string[], creds?: AwsCredentialRecord): Promise<Record<string, unknown>> {
  const r = await cli(args, creds);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

describe('aws iot --endpoint-url', () => {
  it('manages provisioning templates and creates a claim', async () => {
    const created = await ok([
      'create-provisioning-template',
      '--template-name',
      TEMPLATE_NAME,
      '--template-body',
      TEMPLATE_BODY,
      '--provisioning-role-arn',
      ROLE_ARN,
      '--enabled',
    ]);
    expect(created).toEqual({ templateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:provisioningtemplate/${TEMPLATE_NAME}`, templateName: TEMPLATE_NAME, defaultVersionId: 1 });
    const described = await ok(['describe-provisioning-template', '--template-name', TEMPLATE_NAME]);
    expect(described).toMatchObject({ templateName: TEMPLATE_NAME, enabled: true, provisioningRoleArn: ROLE_ARN, templateBody: TEMPLATE_BODY, type: 'FLEET_PROVISIONING' });
    const listed = await ok(['list-provisioning-templates']);
    expect((listed.templates as Array<{ templateName: string }>).map((t) => t.templateName)).toEqual([TEMPLATE_NAME]);

    const claim = await ok(['create-provisioning-claim', '--template-name', TEMPLATE_NAME], PHONE);
    expect(claim.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(claim.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
    expect((claim.keyPair as { PrivateKey: string }).PrivateKey).toContain('PRIVATE KEY-----');
    expect(typeof claim.expiration).toBe('string');
  });

  it('reports errors as AWS does', async () => {
    /** The CLI's error line: `An error occurred (<name>) when calling the <Op> operation[ (reached max retries: 0)]: <message>`. */
    const line = (name: string, op: string, message: string): RegExp =>
      new RegExp(`An error occurred \\(${name}\\) when calling the ${op} operation( \\(reached max retries: 0\\))?: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    const bad = await cli(['create-provisioning-template', '--template-name', 'bad name', '--template-body', TEMPLATE_BODY, '--provisioning-role-arn', ROLE_ARN]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(line('InvalidRequestException', 'CreateProvisioningTemplate', "1 validation error detected: Value 'bad name' at 'templateName'"));
    const denied = await cli(['list-things'], PHONE);
    expect(denied.stderr).toMatch(line('AccessDeniedException', 'ListThings', `User: ${PHONE.principalArn} is not authorized to perform: iot:ListThings on resource: *`));
    const forged = await cli(['list-things'], { ...ADMIN, secretAccessKey: 'forged' });
    expect(forged.stderr).toMatch(line('InvalidSignatureException', 'ListThings', 'The request signature we calculated does not match'));
    const missing = await cli(['describe-thing', '--thing-name', 'nope']);
    expect(missing.stderr).toMatch(line('ResourceNotFoundException', 'DescribeThing', 'Thing nope cannot be found.'));
  });

  it('manages policies', async () => {
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
    const created = await ok(['create-policy', '--policy-name', 'pubsub', '--policy-document', doc]);
    expect(created).toMatchObject({ policyName: 'pubsub', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/pubsub`, policyVersionId: '1' });
    const got = await ok(['get-policy', '--policy-name', 'pubsub']);
    expect(got).toMatchObject({ policyName: 'pubsub', policyDocument: doc, defaultVersionId: '1' });
    const listed = await ok(['list-policies']);
    expect(listed.policies).toEqual([{ policyName: 'pubsub', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/pubsub` }]);
  });

  it('describes and lists things, certificates and the endpoint', async () => {
    h.registry.createThing({ thingName: 'mything_cli', attributes: { location: 'Seattle' } });
    const [thing, things, endpoint, certs] = await Promise.all([
      ok(['describe-thing', '--thing-name', 'mything_cli']),
      ok(['list-things']),
      ok(['describe-endpoint', '--endpoint-type', 'iot:Data-ATS']),
      ok(['list-certificates']),
    ]);
    expect(thing).toMatchObject({ thingName: 'mything_cli', defaultClientId: 'mything_cli', attributes: { location: 'Seattle' }, version: 1 });
    expect((things.things as Array<{ thingName: string }>).map((t) => t.thingName)).toEqual(['mything_cli']);
    expect(endpoint).toEqual({ endpointAddress: DATA_ENDPOINT });
    const list = certs.certificates as Array<{ certificateId: string; status: string }>;
    expect(list).toHaveLength(1);
    const id = list[0]?.certificateId as string;

    const described = await ok(['describe-certificate', '--certificate-id', id]);
    expect(described.certificateDescription).toMatchObject({ certificateId: id, status: 'ACTIVE', ownedBy: ACCOUNT });
    expect(await ok(['update-certificate', '--certificate-id', id, '--new-status', 'INACTIVE'])).toEqual({});
    expect(h.registry.getCertificate(id)?.status).toBe('INACTIVE');
  });
});
