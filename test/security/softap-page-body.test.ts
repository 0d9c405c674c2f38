/**
 * Issue #14 part 5: the SoftAP page routes took a request body. Only frame POSTs carry one; a GET
 * or HEAD with a body (declared or chunked) is refused with 413 MESSAGE_TOO_LARGE and the
 * connection is closed (the unread body is not parsed as a next request).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startSoftApFixture } from '../softap-server/fixture.js';
import type { RawResponse, SoftApFixture } from '../softap-server/fixture.js';

const PAGE = new Map([
  [
    '/',
    { contentType: 'text/html; charset=utf-8', body: new TextEncoder().encode('<!doctype html><title>Setup</title>') },
  ],
  [
    '/assets/app.js',
    { contentType: 'text/javascript; charset=utf-8', body: new TextEncoder().encode('console.log(1)') },
  ],
]);

function chunked(fx: SoftApFixture, method: string, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: fx.server.port,
        method,
        path,
        agent: false,
        headers: { Host: `127.0.0.1:${fx.server.port}`, 'Transfer-Encoding': 'chunked' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: b,
            text: b.toString(),
            json: () => JSON.parse(b.toString()) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    req.write('hello');
    req.end();
  });
}

describe('SoftAP page routes take no body (issue #14)', () => {
  let fx: SoftApFixture;
  beforeAll(async () => {
    fx = await startSoftApFixture({ deviceId: 'pi-body', server: { page: { files: PAGE } } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('serves the page without a body', async () => {
    expect((await raw(fx.server, 'GET', '/')).status).toBe(200);
    expect((await raw(fx.server, 'GET', '/assets/app.js')).status).toBe(200);
  });

  it('refuses GET and HEAD of the page with a declared body: 413 MESSAGE_TOO_LARGE, connection closed', async () => {
    const body = new TextEncoder().encode('x'.repeat(100));
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/assets/app.js'],
      ['GET', '/anything'],
      ['HEAD', '/'],
    ] as const) {
      const r = await raw(fx.server, method, path, { 'Content-Length': String(body.length) }, body);
      expect(r.status, `${method} ${path}`).toBe(413);
      expect(r.headers['connection']).toBe('close');
      if (method === 'GET') expect((r.json() as { error: { code: string } }).error.code).toBe('MESSAGE_TOO_LARGE');
    }
  });

  it('refuses a chunked body on a page GET', async () => {
    const r = await chunked(fx, 'GET', '/');
    expect(r.status).toBe(413);
    expect((r.json() as { error: { code: string } }).error.code).toBe('MESSAGE_TOO_LARGE');
  });
});
