import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { AwsCredentialRecord, CredentialStore } from '../contracts/index.js';
import { AwsServiceError } from './aws-error.js';
import { awsUriEncode } from './canonical.js';
import { NodeSha256 } from './node-sha256.js';
import type { IncomingSignedRequest } from './verify.js';
import { verifySigV4 } from './verify.js';

const NOW = new Date('2026-11-29T02:30:00Z');
const ADMIN: AwsCredentialRecord = {
  accessKeyId: 'AKIAADMIN0000000000',
  secretAccessKey: 'admin-secret-key',
  principalArn: 'arn:aws:iam::123456789012:user/admin',
  policies: [],
};
const TEMP: AwsCredentialRecord = {
  accessKeyId: 'ASIATEMP00000000000',
  secretAccessKey: 'temp-secret',
  sessionToken: 'session-token-1',
  expiration: new Date(NOW.getTime() + 3600_000),
  principalArn: 'arn:aws:sts::123456789012:assumed-role/Phone/CognitoIdentityCredentials',
  policies: [],
};

function store(...records: AwsCredentialRecord[]): CredentialStore {
  const m = new Map(records.map((r) => [r.accessKeyId, r]));
  return { put: (r) => void m.set(r.accessKeyId, r), get: (k) => m.get(k), delete: (k) => void m.delete(k) };
}

interface Plain {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
}

async function signed(
  req: Plain,
  opts: { creds?: AwsCredentialRecord; at?: Date; region?: string; service?: string; presign?: number } = {},
): Promise<IncomingSignedRequest> {
  const creds = opts.creds ?? ADMIN;
  const signer = new SignatureV4({
    service: opts.service ?? 'iot',
    region: opts.region ?? 'us-east-1',
    sha256: NodeSha256,
    credentials: {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
    },
  });
  const request = {
    method: req.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4000,
    path: req.path,
    query: req.query ?? {},
    headers: {
      host: '127.0.0.1:4000',
      ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(req.headers ?? {}),
    },
    body: req.body,
  };
  const out =
    opts.presign !== undefined
      ? await signer.presign(request, { signingDate: opts.at ?? NOW, expiresIn: opts.presign })
      : await signer.sign(request, { signingDate: opts.at ?? NOW });
  const q = Object.entries(out.query ?? {})
    .map(([k, v]) => `${awsUriEncode(k)}=${awsUriEncode(String(v))}`)
    .join('&');
  return {
    method: out.method,
    url: out.path + (q ? `?${q}` : ''),
    rawHeaders: Object.entries(out.headers).flat(),
    body: new TextEncoder().encode(req.body ?? ''),
  };
}

const options = { credentials: store(ADMIN, TEMP), service: 'iot', region: 'us-east-1', now: () => NOW };

function errorOf(fn: () => unknown): AwsServiceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AwsServiceError) return err;
    throw err;
  }
  throw new Error('expected an AwsServiceError');
}

describe('verifySigV4', () => {
  it('accepts requests signed by @smithy/signature-v4, with bodies, queries and encoded paths', async () => {
    const get = await signed({ method: 'GET', path: '/things', query: { maxResults: '5', nextToken: 'a+b/c=' } });
    expect(verifySigV4(get, options).credential.principalArn).toBe(ADMIN.principalArn);
    const post = await signed({ method: 'POST', path: '/policies/p%40x', body: '{"policyDocument":"{}"}' });
    expect(verifySigV4(post, options).accessKeyId).toBe(ADMIN.accessKeyId);
    const temp = await signed({ method: 'GET', path: '/endpoint' }, { creds: TEMP });
    expect(verifySigV4(temp, options).credential.sessionToken).toBe('session-token-1');
  });

  it('accepts the presigned query-string form', async () => {
    const req = await signed({ method: 'GET', path: '/things' }, { presign: 300 });
    expect(req.url).toContain('X-Amz-Signature=');
    expect(verifySigV4(req, options).accessKeyId).toBe(ADMIN.accessKeyId);
    const late = { ...options, now: () => new Date(NOW.getTime() + 301_000) };
    const e = errorOf(() => verifySigV4(req, late));
    expect(e.type).toBe('InvalidSignatureException');
    expect(e.message).toMatch(/^Signature expired/);
  });

  it('refuses a tampered body, path, query or header with InvalidSignatureException', async () => {
    const req = await signed({ method: 'POST', path: '/policies/p1', body: '{"a":1}', headers: { 'x-custom': 'v' } });
    const cases: IncomingSignedRequest[] = [
      { ...req, body: new TextEncoder().encode('{"a":2}') },
      { ...req, url: '/policies/p2' },
      { ...req, url: '/policies/p1?x=1' },
      { ...req, method: 'PUT' },
      { ...req, rawHeaders: req.rawHeaders.map((v) => (v === 'v' ? 'w' : v)) },
    ];
    for (const c of cases) {
      const e = errorOf(() => verifySigV4(c, options));
      expect(e.type).toBe('InvalidSignatureException');
      expect(e.statusCode).toBe(403);
      expect(e.message).toMatch(/^The request signature we calculated does not match the signature you provided/);
    }
  });

  it('refuses a wrong secret', async () => {
    const req = await signed({ method: 'GET', path: '/things' }, { creds: { ...ADMIN, secretAccessKey: 'wrong' } });
    expect(errorOf(() => verifySigV4(req, options)).type).toBe('InvalidSignatureException');
  });

  it('refuses missing authentication', () => {
    const e = errorOf(() =>
      verifySigV4({ method: 'GET', url: '/things', rawHeaders: ['host', 'x'], body: new Uint8Array() }, options),
    );
    expect([e.type, e.statusCode, e.message]).toEqual([
      'MissingAuthenticationTokenException',
      403,
      'Missing Authentication Token',
    ]);
  });

  it('refuses an unknown access key and a wrong or missing session token', async () => {
    const unknown = await signed(
      { method: 'GET', path: '/things' },
      { creds: { ...ADMIN, accessKeyId: 'AKIANOBODY' } },
    );
    const e = errorOf(() => verifySigV4(unknown, options));
    expect([e.type, e.message]).toEqual([
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ]);
    const wrongToken = await signed({ method: 'GET', path: '/things' }, { creds: { ...TEMP, sessionToken: 'other' } });
    expect(errorOf(() => verifySigV4(wrongToken, options)).type).toBe('UnrecognizedClientException');
    const { sessionToken: _t, ...noToken } = TEMP;
    const missingToken = await signed({ method: 'GET', path: '/things' }, { creds: noToken });
    expect(errorOf(() => verifySigV4(missingToken, options)).type).toBe('UnrecognizedClientException');
  });

  it('refuses expired temporary credentials', async () => {
    const req = await signed(
      { method: 'GET', path: '/things' },
      { creds: TEMP, at: new Date(NOW.getTime() + 3600_000) },
    );
    const later = { ...options, now: () => new Date(NOW.getTime() + 3600_000) };
    const e = errorOf(() => verifySigV4(req, later));
    expect([e.type, e.statusCode]).toEqual(['ExpiredTokenException', 403]);
  });

  it('refuses clock skew beyond 15 minutes either way', async () => {
    const old = await signed({ method: 'GET', path: '/things' }, { at: new Date(NOW.getTime() - 16 * 60_000) });
    const e1 = errorOf(() => verifySigV4(old, options));
    expect(e1.type).toBe('InvalidSignatureException');
    expect(e1.message).toBe(
      'Signature expired: 20261129T021400Z is now earlier than 20261129T021500Z (20261129T023000Z - 15 min.)',
    );
    const future = await signed({ method: 'GET', path: '/things' }, { at: new Date(NOW.getTime() + 16 * 60_000) });
    expect(errorOf(() => verifySigV4(future, options)).message).toMatch(/^Signature not yet current/);
    const within = await signed({ method: 'GET', path: '/things' }, { at: new Date(NOW.getTime() - 14 * 60_000) });
    expect(verifySigV4(within, options).accessKeyId).toBe(ADMIN.accessKeyId);
  });

  it('refuses a credential scoped to another service or region', async () => {
    const svc = await signed({ method: 'GET', path: '/things' }, { service: 's3' });
    expect(errorOf(() => verifySigV4(svc, options)).message).toBe(
      "Credential should be scoped to correct service: 'iot'. ",
    );
    const region = await signed({ method: 'GET', path: '/things' }, { region: 'eu-west-1' });
    const e = errorOf(() => verifySigV4(region, options));
    expect([e.type, e.message]).toEqual([
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    ]);
  });

  it('refuses a malformed Authorization header with IncompleteSignatureException', () => {
    const e = errorOf(() =>
      verifySigV4(
        {
          method: 'GET',
          url: '/things',
          rawHeaders: ['Host', 'x', 'Authorization', 'AWS4-HMAC-SHA256 Credential=a/b/c/d/e'],
          body: new Uint8Array(),
        },
        options,
      ),
    );
    expect(e.type).toBe('IncompleteSignatureException');
    expect(e.message).toContain("Authorization header requires 'Signature' parameter.");
  });

  it('renders errors as AWS REST-JSON services do', () => {
    const http = new AwsServiceError('InvalidSignatureException', 403, 'm').toHttp();
    expect(http.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(JSON.parse(http.body)).toEqual({ message: 'm' });
  });
});
