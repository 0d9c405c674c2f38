/**
 * Serves a folder of static files (the web app, apps/web, as `npm install` builds it into dist/web-app) and its
 * `/config.json` on loopback, for `npx tp-cloud`: http://localhost is a secure context, so Web
 * Bluetooth and WebCrypto work there without TLS. Every answer carries a strict CSP: scripts,
 * styles and workers from this origin only; fetches to this origin and the cloud endpoints the
 * config names. Only GET/HEAD of existing files below the folder; no listing, no dotfiles.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

/** The web app's port under `npx tp-cloud` (the emulator's are 4580-4582). */
export const DEFAULT_WEB_PORT = 4583;

const JSON_TYPE = 'application/json';
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
  '.json': JSON_TYPE,
};

export interface WebHostOptions {
  /** The folder of static files; `/` is its index.html. */
  dir: string;
  /** What `/config.json` answers (public: no secrets). */
  config: unknown;
  /** Origins the page may fetch from besides its own (issuer, Cognito, IoT control plane). */
  connectOrigins: readonly string[];
  host?: string;
  port?: number;
}

export interface RunningWebHost {
  /** e.g. http://localhost:4583 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The page's Content-Security-Policy. */
export function contentSecurityPolicy(connectOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${connectOrigins.join(' ')}`.trim(),
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function answer(options: WebHostOptions, csp: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://host').pathname);
  } catch {
    // A malformed %-escape is the client's mistake: a 400, not a logged server error.
    res.writeHead(400, headers).end();
    return;
  }
  if (path === '/config.json') {
    res.writeHead(200, { ...headers, 'content-type': JSON_TYPE }).end(JSON.stringify(options.config));
    return;
  }
  const relative = normalize(path === '/' ? 'index.html' : path.slice(1));
  const type = CONTENT_TYPES[extname(relative)];
  if (relative.startsWith('..') || relative.split(sep).some((p) => p.startsWith('.')) || !type) {
    res.writeHead(404, headers).end();
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(join(options.dir, relative));
  } catch {
    // A missing file is the normal 404.
    res.writeHead(404, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': type, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startWebHost(options: WebHostOptions): Promise<RunningWebHost> {
  const csp = contentSecurityPolicy(options.connectOrigins);
  const server = createServer((req, res) => {
    answer(options, csp, req, res).catch((err: unknown) => {
      console.error('web host:', err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_WEB_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The web app's config.json from the emulator's cloud.json: the public fields only. */
export function webAppConfig(
  cloud: {
    region: string;
    iot: {
      controlPlaneEndpoint: string;
      dataEndpoint: string;
      mqttPort: number;
      caPem: string;
      provisioningTemplateName: string;
    };
    oidc: { issuer: string };
    cognito: { endpoint: string; identityPoolId: string; providerName: string };
  },
  clientId: string,
): { config: unknown; connectOrigins: string[] } {
  const { iot, oidc, cognito } = cloud;
  return {
    config: {
      version: 1,
      region: cloud.region,
      oidc: { issuer: oidc.issuer, clientId },
      cognito: {
        endpoint: cognito.endpoint,
        identityPoolId: cognito.identityPoolId,
        providerName: cognito.providerName,
      },
      iot: {
        controlPlaneEndpoint: iot.controlPlaneEndpoint,
        dataEndpoint: iot.dataEndpoint,
        mqttPort: iot.mqttPort,
        caPem: iot.caPem,
        provisioningTemplateName: iot.provisioningTemplateName,
      },
    },
    connectOrigins: [
      ...new Set([oidc.issuer, cognito.endpoint, iot.controlPlaneEndpoint].map((u) => new URL(u).origin)),
    ],
  };
}
