/**
 * The AWS CLI against the control plane with `--endpoint-url`: the same command list with whichever
 * CLI is installed (v1 from pip or v2; CI installs Debian's `awscli`). The versions print some values
 * differently (v1 prints a timestamp as epoch seconds, v2 as ISO 8601 text), so values are compared
 * by meaning, not by formatting. Without a CLI the suite says so in one line and skips only itself.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsCredentialRecord } from '../../cloud/emulator/contracts/index.js';
import type { Harness } from './harness.js';
import {
  ACCOUNT,
  ADMIN,
  DATA_ENDPOINT,
  PHONE,
  REGION,
  ROLE_ARN,
  TEMPLATE_BODY,
  TEMPLATE_NAME,
  startHarness,
} from './harness.js';

/** Debian's package installs /usr/bin/aws; prefer it over any other `aws` on PATH. */
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
/** A CLI run starts a Python interpreter (seconds on a loaded machine); generous, but bounded. */
const CLI_TIMEOUT_MS = 60_000;
/** A test runs several CLI commands, some in sequence. */
const TEST_TIMEOUT_MS = 240_000;

function installedVersion(): string | undefined {
  try {
    return execFileSync(AWS, ['--version'], {
      encoding: 'utf8',
      timeout: CLI_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .trim()
      .split(' ')[0];
  } catch {
    return undefined;
  }
}
const VERSION = installedVersion();
if (VERSION === undefined)
  console.warn('aws-cli.test: no AWS CLI (`aws`) installed; skipping the AWS CLI compatibility tests');

/** A timestamp as v1 (epoch seconds) or v2 (ISO 8601 text) prints it, in milliseconds. */
function timestampMs(v: unknown): number {
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string') return Date.parse(v);
  throw new Error(`not a timestamp: ${JSON.stringify(v)}`);
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let h: Harness;

function cli(args: string[], creds: AwsCredentialRecord = ADMIN, output = 'json'): Promise<CliResult> {
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
    execFile(
      AWS,
      ['iot', ...args, '--endpoint-url', h.plane.url, '--output', output],
      { env, timeout: CLI_TIMEOUT_MS },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[], creds?: AwsCredentialRecord): Promise<Record<string, unknown>> {
  const r = await cli(args, creds);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
}

beforeAll(async () => {
  if (VERSION !== undefined) h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe.skipIf(VERSION === undefined)(
  `aws iot --endpoint-url (${VERSION ?? 'no CLI'})`,
  { timeout: TEST_TIMEOUT_MS },
  () => {
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
      expect(created).toEqual({
        templateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:provisioningtemplate/${TEMPLATE_NAME}`,
        templateName: TEMPLATE_NAME,
        defaultVersionId: 1,
      });
      const described = await ok(['describe-provisioning-template', '--template-name', TEMPLATE_NAME]);
      expect(described).toMatchObject({
        templateName: TEMPLATE_NAME,
        enabled: true,
        provisioningRoleArn: ROLE_ARN,
        templateBody: TEMPLATE_BODY,
        type: 'FLEET_PROVISIONING',
      });
      const listed = await ok(['list-provisioning-templates']);
      expect((listed.templates as Array<{ templateName: string }>).map((t) => t.templateName)).toEqual([TEMPLATE_NAME]);

      const claim = await ok(['create-provisioning-claim', '--template-name', TEMPLATE_NAME], PHONE);
      expect(claim.certificateId).toMatch(/^[0-9a-f]{64}$/);
      expect(claim.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
      expect((claim.keyPair as { PrivateKey: string }).PrivateKey).toContain('PRIVATE KEY-----');
      // v1 prints epoch seconds, v2 ISO 8601 text: the same instant, 5 minutes ahead.
      const minutesLeft = (timestampMs(claim.expiration) - Date.now()) / 60_000;
      expect(minutesLeft).toBeGreaterThan(4);
      expect(minutesLeft).toBeLessThanOrEqual(5);
    });

    it('reports errors as AWS does', async () => {
      /** The CLI's error line: `An error occurred (<name>) when calling the <Op> operation[ (reached max retries: 0)]: <message>`. */
      const line = (name: string, op: string, message: string): RegExp =>
        new RegExp(
          `An error occurred \\(${name}\\) when calling the ${op} operation( \\(reached max retries: 0\\))?: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
        );
      const bad = await cli([
        'create-provisioning-template',
        '--template-name',
        'bad name',
        '--template-body',
        TEMPLATE_BODY,
        '--provisioning-role-arn',
        ROLE_ARN,
      ]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(
        line(
          'InvalidRequestException',
          'CreateProvisioningTemplate',
          "1 validation error detected: Value 'bad name' at 'templateName'",
        ),
      );
      const denied = await cli(['list-things'], PHONE);
      expect(denied.stderr).toMatch(
        line(
          'AccessDeniedException',
          'ListThings',
          `User: ${PHONE.principalArn} is not authorized to perform: iot:ListThings on resource: *`,
        ),
      );
      const forged = await cli(['list-things'], { ...ADMIN, secretAccessKey: 'forged' });
      expect(forged.stderr).toMatch(
        line('InvalidSignatureException', 'ListThings', 'The request signature we calculated does not match'),
      );
      const missing = await cli(['describe-thing', '--thing-name', 'nope']);
      expect(missing.stderr).toMatch(line('ResourceNotFoundException', 'DescribeThing', 'Thing nope cannot be found.'));
    });

    it('manages policies', async () => {
      const doc = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
      });
      const created = await ok(['create-policy', '--policy-name', 'pubsub', '--policy-document', doc]);
      expect(created).toMatchObject({
        policyName: 'pubsub',
        policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/pubsub`,
        policyVersionId: '1',
      });
      const got = await ok(['get-policy', '--policy-name', 'pubsub']);
      expect(got).toMatchObject({ policyName: 'pubsub', policyDocument: doc, defaultVersionId: '1' });
      const listed = await ok(['list-policies']);
      expect(listed.policies).toEqual([
        { policyName: 'pubsub', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/pubsub` },
      ]);
    });

    it('describes and lists things, certificates and the endpoint', async () => {
      h.registry.things.create({ thingName: 'mything_cli', attributes: { location: 'Seattle' } });
      const [thing, things, endpoint, certs] = await Promise.all([
        ok(['describe-thing', '--thing-name', 'mything_cli']),
        ok(['list-things']),
        ok(['describe-endpoint', '--endpoint-type', 'iot:Data-ATS']),
        ok(['list-certificates']),
      ]);
      expect(thing).toMatchObject({
        thingName: 'mything_cli',
        defaultClientId: 'mything_cli',
        attributes: { location: 'Seattle' },
        version: 1,
      });
      expect((things.things as Array<{ thingName: string }>).map((t) => t.thingName)).toEqual(['mything_cli']);
      expect(endpoint).toEqual({ endpointAddress: DATA_ENDPOINT });
      const list = certs.certificates as Array<{ certificateId: string; status: string }>;
      expect(list).toHaveLength(1);
      const id = list[0]?.certificateId as string;

      const described = await ok(['describe-certificate', '--certificate-id', id]);
      expect(described.certificateDescription).toMatchObject({ certificateId: id, status: 'ACTIVE', ownedBy: ACCOUNT });
      expect(await ok(['update-certificate', '--certificate-id', id, '--new-status', 'INACTIVE'])).toEqual({});
      expect(h.registry.certificates.get(id)?.status).toBe('INACTIVE');
    });

    it('gives a bare host name for --endpoint "$(aws iot describe-endpoint … --output text)"', async () => {
      const r = await cli(['describe-endpoint', '--endpoint-type', 'iot:Data-ATS'], ADMIN, 'text');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(DATA_ENDPOINT);
      expect(r.stdout.trim()).not.toContain(':');
    });

    it('accepts a template written "Status": "Active", as the CLI\'s own example writes it', async () => {
      const body = TEMPLATE_BODY.replace('"Status":"ACTIVE"', '"Status":"Active"');
      expect(body).toContain('"Active"');
      const created = await ok([
        'create-provisioning-template',
        '--template-name',
        'ActiveSpelling',
        '--template-body',
        body,
        '--provisioning-role-arn',
        ROLE_ARN,
        '--enabled',
      ]);
      expect(created).toMatchObject({ templateName: 'ActiveSpelling', defaultVersionId: 1 });
      const v2 = await ok([
        'create-provisioning-template-version',
        '--template-name',
        'ActiveSpelling',
        '--template-body',
        body,
        '--set-as-default',
      ]);
      expect(v2).toMatchObject({ versionId: 2, isDefaultVersion: true });
      const versions = await ok(['list-provisioning-template-versions', '--template-name', 'ActiveSpelling']);
      const listed = versions.versions as Array<{
        versionId: number;
        creationDate: unknown;
        isDefaultVersion: boolean;
      }>;
      expect(listed.map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
        [1, false],
        [2, true],
      ]);
      expect(Math.abs(timestampMs(listed[0]?.creationDate) - Date.now())).toBeLessThan(10 * 60_000);
      expect(
        await ok(['describe-provisioning-template-version', '--template-name', 'ActiveSpelling', '--version-id', '1']),
      ).toMatchObject({ versionId: 1, templateBody: body });
    });

    it('cleans up a provisioned thing: principals, certificate, policy, thing', async () => {
      const doc = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
      });
      const [keys] = await Promise.all([
        ok(['create-keys-and-certificate', '--set-as-active']),
        ok([
          'create-thing',
          '--thing-name',
          'mything_cleanup',
          '--attribute-payload',
          '{"attributes":{"SerialNumber":"7"}}',
        ]),
        ok(['create-policy', '--policy-name', 'cleanup', '--policy-document', doc]),
      ]);
      const arn = keys.certificateArn as string;
      const id = keys.certificateId as string;
      await Promise.all([
        ok(['attach-thing-principal', '--thing-name', 'mything_cleanup', '--principal', arn]),
        ok(['attach-policy', '--policy-name', 'cleanup', '--target', arn]),
      ]);
      const [principals, things, targets, policies] = await Promise.all([
        ok(['list-thing-principals', '--thing-name', 'mything_cleanup']),
        ok(['list-principal-things', '--principal', arn]),
        ok(['list-targets-for-policy', '--policy-name', 'cleanup']),
        ok(['list-principal-policies', '--principal', arn]),
      ]);
      expect(principals.principals).toEqual([arn]);
      expect(things.things).toEqual(['mything_cleanup']);
      expect(targets.targets).toEqual([arn]);
      expect((policies.policies as Array<{ policyName: string }>).map((p) => p.policyName)).toEqual(['cleanup']);

      const active = await cli(['delete-certificate', '--certificate-id', id]);
      expect(active.stderr).toMatch(
        /An error occurred \(CertificateStateException\) when calling the DeleteCertificate operation/,
      );
      await Promise.all([
        ok(['detach-thing-principal', '--thing-name', 'mything_cleanup', '--principal', arn]),
        ok(['update-certificate', '--certificate-id', id, '--new-status', 'INACTIVE']),
        ok(['detach-policy', '--policy-name', 'cleanup', '--target', arn]),
      ]);
      await Promise.all([
        ok(['delete-certificate', '--certificate-id', id]),
        ok(['delete-policy', '--policy-name', 'cleanup']),
        ok(['delete-thing', '--thing-name', 'mything_cleanup']),
      ]);
      expect(h.registry.things.get('mything_cleanup')).toBeUndefined();
      expect(h.registry.certificates.get(id)).toBeUndefined();
      expect(h.registry.policies.get('cleanup')).toBeUndefined();
    });

    it('answers thing types and groups, and one error for an operation not offered', async () => {
      const [missing, groups, notOffered] = await Promise.all([
        cli(['describe-thing-type', '--thing-type-name', 'sensor']),
        ok(['list-thing-groups']),
        cli(['list-jobs']),
      ]);
      expect(missing.stderr).toMatch(
        /An error occurred \(ResourceNotFoundException\) when calling the DescribeThingType operation.*: Thing type sensor cannot be found\./,
      );
      expect(groups.thingGroups).toEqual([]);
      expect(notOffered.stderr).toMatch(
        /An error occurred \(UnknownOperationException\) when calling the ListJobs operation/,
      );
    });
  },
);
