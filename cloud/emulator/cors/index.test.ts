/**
 * The emulator's CORS as AWS answers it for Cognito Identity and the IoT control plane, on a real
 * HTTP server: a request without Origin is left alone; with one, any origin is allowed, without
 * credentials, and the request id and error headers are exposed; a preflight is answered here,
 * allowing exactly the asked headers that the AWS SDK sends, and no others.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCors, CORS_ALLOWED_HEADERS } from './index.js';

let server: Server;
let port: number;
/** Requests that reached the service behind the CORS layer. */
const served: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (applyCors(req, res)) return;
    served.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'r-1' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const ORIGIN = 'http://localhost:4583';
/** The AWS SDK's own headers (amz-sdk-*, x-amz-*) and those of a SigV4 signature. */
const SDK_HEADERS = [
  'content-type',
  'x-amz-target',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
];

describe('emulator CORS', () => {
  it('leaves a request without Origin alone (the CLI, the SDK in Node)', async () => {
    const res = await send('POST', {});
    expect(res.status).toBe(200);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('allows any origin, without credentials, and exposes the request id and error headers', async () => {
    const before = served.length;
    const res = await send('POST', { origin: ORIGIN, 'content-type': 'application/x-amz-json-1.1' });
    expect(res.status).toBe(200);
    expect(served.length).toBe(before + 1);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(String(res.headers['access-control-expose-headers']).split(', ')).toEqual(
      expect.arrayContaining(['x-amzn-requestid', 'x-amzn-errortype', 'x-amzn-errormessage']) as unknown,
    );
  });

  it("answers a preflight itself, allowing the SDK's headers as the browser asked for them", async () => {
    const before = served.length;
    const res = await send('OPTIONS', {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      // Browsers send the list lower case; mixed case and spaces are accepted too.
      'access-control-request-headers': SDK_HEADERS.map((h, i) => (i % 2 ? h.toUpperCase() : h)).join(' , '),
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(served.length).toBe(before);
    expect(String(res.headers['access-control-allow-headers']).split(', ')).toEqual(SDK_HEADERS);
    expect(String(res.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect([...CORS_ALLOWED_HEADERS].sort()).toEqual(expect.arrayContaining(SDK_HEADERS) as unknown);
  });

  it('leaves out of the answer a header it does not allow, so the browser refuses the request', async () => {
    const res = await send('OPTIONS', {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-evil, content-type',
    });
    expect(res.headers['access-control-allow-headers']).toBe('content-type');
    const none = await send('OPTIONS', {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'cookie',
    });
    expect(none.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('an OPTIONS that is not a preflight (no Access-Control-Request-Method) goes to the service', async () => {
    const before = served.length;
    await send('OPTIONS', { origin: ORIGIN });
    expect(served.slice(before)).toEqual(['OPTIONS /']);
  });
});
