/**
 * Issue #14 part 4: the IoT control plane must not accept a body the signature does not cover.
 * AWS IoT, like every service but S3, signs the payload hash; `UNSIGNED-PAYLOAD` is S3's option.
 * Real HTTP against the emulator's control plane, requests signed by @smithy/signature-v4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorCa } from '../../cloud/emulator/ca/index.js';
import type { AwsCredentialRecord } from '../../cloud/emulator/contracts/index.js';
import { startControlPlane } from '../../cloud/emulator/control-plane/server.js';
import type { ControlPlane } from '../../cloud/emulator/control-plane/server.js';
import { Registry } from '../../cloud/emulator/registry/index.js';
import { NodeSha256, SIGNATURE_MISMATCH_MESSAGE, awsUriEncode } from '../../cloud/emulator/sigv4/index.js';

const ADMIN: AwsCredentialRecord = {
  accessKeyId: 'AKIAUNSIGNEDTEST0001',
  secretAccessKey: 'unsigned-test-secret',
  principalArn: 'arn:aws:iam::123456789012:user/admin',
  policies: [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
};
const SIGNED_BODY = JSON.stringify({
  policyDocument: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: 'iot:*', Resource: '*' }],
  }),
});
const SWAPPED_BODY = JSON.stringify({
  policyDocument: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
  }),
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'sigv4-unsigned-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const registry = Registry.open(join(dir, 'r.db'));
  cleanups.push(() => registry.close());
  const ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  registry.credentials.put(ADMIN);
  const plane = await startControlPlane({ registry, ca, credentials: registry.credentials });
  cleanups.push(() => plane.close());
  return plane;
}

interface Signing {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  presign?: boolean;
}

/** Signs `signing` as the SDK would, then sends `sentBody` (the attacker's swap) with the signed headers. */
async function send(plane: ControlPlane, signing: Signing, sentBody: string | undefined): Promise<Response> {
  const signer = new SignatureV4({
    service: 'iot',
    region: 'us-east-1',
    sha256: NodeSha256,
    credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.secretAccessKey },
  });
  const request = {
    method: signing.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: plane.port,
    path: signing.path,
    query: {},
    headers: { host: `127.0.0.1:${plane.port}`, 'content-type': 'application/json', ...(signing.headers ?? {}) },
    body: signing.body,
  };
  const out = signing.presign ? await signer.presign(request, { expiresIn: 300 }) : await signer.sign(request);
  const qs = Object.entries(out.query ?? {})
    .map(([k, v]) => `${awsUriEncode(k)}=${awsUriEncode(String(v))}`)
    .join('&');
  const headers = Object.fromEntries(Object.entries(out.headers).filter(([k]) => k !== 'host'));
  return fetch(`${plane.url}${signing.path}${qs ? `?${qs}` : ''}`, {
    method: signing.method,
    headers,
    ...(sentBody !== undefined ? { body: sentBody } : {}),
  });
}

async function refusal(res: Response): Promise<[number, string | null, string]> {
  const body = (await res.json()) as { message: string };
  return [res.status, res.headers.get('x-amzn-errortype'), body.message];
}

async function policyExists(plane: ControlPlane, name: string): Promise<boolean> {
  const res = await send(plane, { method: 'GET', path: `/policies/${name}` }, undefined);
  await res.arrayBuffer();
  return res.status === 200;
}

const MISMATCH = [403, 'InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE];

describe('SigV4 payload signing on the IoT control plane (issue #14)', () => {
  it('refuses x-amz-content-sha256: UNSIGNED-PAYLOAD, with the body it was sent with or a swapped one', async () => {
    const plane = await start();
    const unsigned = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const swapped = await send(
      plane,
      { method: 'POST', path: '/policies/swapped', body: SIGNED_BODY, headers: unsigned },
      SWAPPED_BODY,
    );
    expect(await refusal(swapped)).toEqual(MISMATCH);
    const same = await send(
      plane,
      { method: 'POST', path: '/policies/same', body: SIGNED_BODY, headers: unsigned },
      SIGNED_BODY,
    );
    expect(await refusal(same)).toEqual(MISMATCH);
    const empty = await send(plane, { method: 'GET', path: '/policies/swapped', headers: unsigned }, undefined);
    expect(await refusal(empty)).toEqual(MISMATCH);
    expect(await policyExists(plane, 'swapped')).toBe(false);
    expect(await policyExists(plane, 'same')).toBe(false);
  });

  it('refuses a signed request whose body was swapped, declared hash or not', async () => {
    const plane = await start();
    const plain = await send(plane, { method: 'POST', path: '/policies/p1', body: SIGNED_BODY }, SWAPPED_BODY);
    expect(await refusal(plain)).toEqual(MISMATCH);
    const declared = await send(
      plane,
      { method: 'POST', path: '/policies/p2', body: SIGNED_BODY, headers: { 'x-amz-content-sha256': '0'.repeat(64) } },
      SWAPPED_BODY,
    );
    expect(await refusal(declared)).toEqual(MISMATCH);
    expect(await policyExists(plane, 'p1')).toBe(false);
    expect(await policyExists(plane, 'p2')).toBe(false);
  });

  it('refuses a presigned URL (signed over UNSIGNED-PAYLOAD) carrying a body', async () => {
    const plane = await start();
    const res = await send(
      plane,
      {
        method: 'POST',
        path: '/policies/presigned',
        presign: true,
        headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      },
      SWAPPED_BODY,
    );
    expect((await refusal(res)).slice(0, 2)).toEqual([403, 'InvalidSignatureException']);
    expect(await policyExists(plane, 'presigned')).toBe(false);
  });

  it('still accepts the signed body it was signed over', async () => {
    const plane = await start();
    const res = await send(plane, { method: 'POST', path: '/policies/ok', body: SIGNED_BODY }, SIGNED_BODY);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(await policyExists(plane, 'ok')).toBe(true);
  });
});
