import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorCa } from '../ca/index.js';
import type { AwsCredentialRecord } from '../contracts/index.js';
import { Registry } from '../registry/index.js';
import { NodeSha256, awsUriEncode } from '../sigv4/index.js';
import type { ControlPlane, ControlPlaneOptions } from './server.js';
import { MAX_REQUEST_BODY_BYTES, startControlPlane } from './server.js';

const ADMIN: AwsCredentialRecord = {
  accessKeyId: 'AKIASERVERTEST000001',
  secretAccessKey: 'server-test-secret',
  principalArn: 'arn:aws:iam::123456789012:user/ops/admin',
  policies: [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(
  options: Partial<ControlPlaneOptions> = {},
  records: AwsCredentialRecord[] = [ADMIN],
): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'control-plane-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const registry = Registry.open(join(dir, 'r.db'));
  cleanups.push(() => registry.close());
  const ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  for (const r of records) registry.credentials.put(r);
  const plane = await startControlPlane({ registry, ca, credentials: registry.credentials, ...options });
  cleanups.push(() => plane.close());
  return plane;
}

/** Sends a request signed by the smithy signer, as the SDK would, to any path. */
async function signedFetch(
  plane: ControlPlane,
  method: string,
  path: string,
  body?: string,
  creds: AwsCredentialRecord = ADMIN,
  query: Record<string, string> = {},
): Promise<Response> {
  const signer = new SignatureV4({
    service: 'iot',
    region: 'us-east-1',
    sha256: NodeSha256,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
  });
  const host = `127.0.0.1:${plane.port}`;
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: plane.port,
    path,
    query,
    headers: { host, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body,
  });
  const qs = Object.entries(query)
    .map(([k, v]) => `${awsUriEncode(k)}=${awsUriEncode(v)}`)
    .join('&');
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
  return fetch(`${plane.url}${path}${qs ? `?${qs}` : ''}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
}

async function errorOf(res: Response): Promise<[number, string | null, string]> {
  const body = (await res.json()) as { message: string };
  return [res.status, res.headers.get('x-amzn-errortype'), body.message];
}

describe('startControlPlane', () => {
  it('listens on a free loopback port and answers with a request id', async () => {
    const plane = await start({ dataEndpoint: 'broker.local' });
    expect(plane.url).toBe(`http://127.0.0.1:${plane.port}`);
    const res = await signedFetch(plane, 'GET', '/endpoint', undefined, ADMIN, { endpointType: 'iot:Data-ATS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({ endpointAddress: 'broker.local' });
  });

  it('answers unknown operations, wrong methods, bad JSON and oversize bodies with AWS error shapes', async () => {
    const plane = await start();
    // One answer for any operation not offered: an unknown path, or a known path under another method.
    expect(await errorOf(await signedFetch(plane, 'GET', '/no-such-thing'))).toEqual([
      404,
      'UnknownOperationException',
      'GET /no-such-thing is not an operation the emulator offers (see cloud/emulator/control-plane/README.md)',
    ]);
    expect((await errorOf(await signedFetch(plane, 'PATCH', '/things'))).slice(0, 2)).toEqual([
      404,
      'UnknownOperationException',
    ]);
    expect((await errorOf(await signedFetch(plane, 'DELETE', '/policies/p/version/1/extra'))).slice(0, 2)).toEqual([
      404,
      'UnknownOperationException',
    ]);
    const badJson = await errorOf(await signedFetch(plane, 'POST', '/policies/p', '{not json'));
    expect(badJson.slice(0, 2)).toEqual([400, 'SerializationException']);
    const big = await signedFetch(
      plane,
      'POST',
      '/policies/p',
      JSON.stringify({ policyDocument: 'x'.repeat(MAX_REQUEST_BODY_BYTES) }),
    );
    expect((await errorOf(big)).slice(0, 2)).toEqual([413, 'RequestEntityTooLargeException']);
  });

  it('decodes percent-encoded labels, keeping an encoded slash inside an ARN label', async () => {
    const plane = await start();
    const target = 'arn:aws:iot:us-east-1:123456789012:cert/' + 'a'.repeat(64);
    const res = await signedFetch(plane, 'POST', `/attached-policies/${encodeURIComponent(target)}`);
    expect(await errorOf(res)).toEqual([
      404,
      'ResourceNotFoundException',
      `The certificate does not exist: ${'a'.repeat(64)}`,
    ]);
  });

  it('throttles per access key when a rate limit is set', async () => {
    const at = new Date();
    const plane = await start({ rateLimit: { requestsPerSecond: 1, burst: 2 }, now: () => at });
    expect((await signedFetch(plane, 'GET', '/things')).status).toBe(200);
    expect((await signedFetch(plane, 'GET', '/things')).status).toBe(200);
    expect(await errorOf(await signedFetch(plane, 'GET', '/things'))).toEqual([
      429,
      'ThrottlingException',
      'Rate exceeded',
    ]);
  });

  it('evaluates IAM policy variables of the caller', async () => {
    const scoped: AwsCredentialRecord = {
      accessKeyId: 'AKIASCOPED0000000001',
      secretAccessKey: 'scoped-secret',
      principalArn: 'arn:aws:iam::123456789012:user/dev/alice',
      policies: [
        {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'iot:GetPolicy',
              Resource: 'arn:aws:iot:us-east-1:123456789012:policy/${aws:username}-*',
            },
          ],
        },
      ],
    };
    const plane = await start({}, [ADMIN, scoped]);
    expect((await errorOf(await signedFetch(plane, 'GET', '/policies/alice-1', undefined, scoped)))[1]).toBe(
      'ResourceNotFoundException',
    );
    expect(await errorOf(await signedFetch(plane, 'GET', '/policies/bob-1', undefined, scoped))).toEqual([
      403,
      'AccessDeniedException',
      'User: arn:aws:iam::123456789012:user/dev/alice is not authorized to perform: iot:GetPolicy on resource: arn:aws:iot:us-east-1:123456789012:policy/bob-1',
    ]);
  });
});
