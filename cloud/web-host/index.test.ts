/**
 * The web host (`npx tp-cloud` serving the web app): files below its folder only, with their types,
 * the strict CSP and the other headers on every answer, /config.json from the config it was given,
 * and nothing else: no other method, no dotfile, no way out of the folder, no unknown file type.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, startWebHost, webAppConfig } from './index.js';
import type { RunningWebHost } from './index.js';

let root: string;
let host: RunningWebHost;
const CONFIG = { region: 'us-east-1', note: 'public' };
const ORIGINS = ['http://127.0.0.1:4581', 'http://127.0.0.1:4582'];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'web-host-'));
  const dir = join(root, 'app');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1);');
  writeFileSync(join(dir, 'assets', '.hidden.js'), 'secret');
  writeFileSync(join(dir, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'notes.txt'), 'not served');
  writeFileSync(join(root, 'outside.html'), 'outside');
  host = await startWebHost({ dir, config: CONFIG, connectOrigins: ORIGINS, port: 0 });
});

afterAll(async () => {
  await host?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes out exactly as written (fetch would normalize it). */
function get(path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web host', () => {
  it('serves on http://localhost (a secure context) what the folder holds, with its type', async () => {
    expect(host.url).toBe(`http://localhost:${host.port}`);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<title>app</title>');
    const script = await get('/assets/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log(1);');
    const head = await get('/assets/app.js', 'HEAD');
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '15', '']);
  });

  it('answers /config.json from its config, and every answer carries the CSP and the safety headers', async () => {
    const config = await get('/config.json');
    expect(config.headers['content-type']).toBe('application/json');
    expect(JSON.parse(config.body)).toEqual(CONFIG);
    for (const path of ['/', '/config.json', '/missing.js', '/.env']) {
      const { headers } = await get(path);
      expect(headers['content-security-policy']).toBe(contentSecurityPolicy(ORIGINS));
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['cache-control']).toBe('no-cache');
    }
  });

  it('refuses other methods, dotfiles, unknown types, missing files and any way out of the folder', async () => {
    const post = await get('/', 'POST');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    for (const path of [
      '/.env',
      '/assets/.hidden.js',
      '/notes.txt',
      '/missing.js',
      '/../outside.html',
      '/%2e%2e/outside.html',
      '/assets/..%2f..%2foutside.html',
      '/..%5coutside.html',
    ])
      expect([path, (await get(path)).status]).toEqual([path, 404]);
  });

  it('a malformed percent-encoding is a bad request, not a server error', async () => {
    expect((await get('/%E0%A4%A.js')).status).toBe(400);
  });
});

describe('contentSecurityPolicy', () => {
  it('lets the page run and fetch only its own files and the named cloud origins', () => {
    const csp = contentSecurityPolicy(ORIGINS).split('; ');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${ORIGINS.join(' ')}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp.join('; ')).not.toMatch(/unsafe|\*/);
  });
});

describe('webAppConfig', () => {
  it('gives the page the public fields of cloud.json and the origins it talks to, each once', () => {
    const { config, connectOrigins } = webAppConfig(
      {
        region: 'us-east-1',
        iot: {
          controlPlaneEndpoint: 'http://127.0.0.1:4580',
          dataEndpoint: 'localhost',
          mqttPort: 8883,
          caPem: 'PEM',
          provisioningTemplateName: 'T',
        },
        oidc: { issuer: 'http://127.0.0.1:4581/' },
        cognito: { endpoint: 'http://127.0.0.1:4580/cognito', identityPoolId: 'pool', providerName: 'p' },
        // cloud.json also holds the admin's keys and the demo user's password: none may reach the page.
        ...{ admin: { secretAccessKey: 'SECRET' }, demoUser: { password: 'SECRET' } },
      },
      'provisioning-web',
    );
    expect(connectOrigins).toEqual(['http://127.0.0.1:4581', 'http://127.0.0.1:4580']);
    expect(JSON.stringify(config)).not.toContain('SECRET');
    expect(config).toMatchObject({ oidc: { clientId: 'provisioning-web' }, iot: { caPem: 'PEM' } });
  });
});
