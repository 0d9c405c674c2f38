/**
 * The device's SoftAP HTTP server (softap-fallback/server/README.md): the BLE protocol over HTTP,
 * feeding the same agent, with the same attempt limiter.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ProvisioningError, UsageError } from '../../protocol/index.js';
import { systemClock, systemTimers } from '../../peripheral/system/index.js';
import type { Timers, Clock } from '../../protocol/index.js';
import { createSoftApApp } from './app.js';
import type { SoftApApp, SoftApAppOptions, SoftApOrigin } from './app.js';
import * as L from './limits.js';
import { guardSockets } from './socket-guard.js';

export { createSoftApApp } from './app.js';
export type { SoftApApp, SoftApAppOptions } from './app.js';
export type { PageAssets, PageFile } from './page.js';
export { CAPTIVE_PROBE_PATHS, CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './security.js';
export * from './limits.js';

const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

/** The AP address of the seed (softap-fallback/ap DEFAULT_AP_ADDRESS) and plain HTTP. */
export const DEFAULT_LISTEN = { host: '10.0.0.1', port: 80 } as const;

/** Limits on sockets and request timing (limits.ts); tests shorten them. */
export interface SoftApHttpLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly connectionsCheckIntervalMs: number;
  readonly maxSockets: number;
  readonly maxSocketsPerClient: number;
}

export const DEFAULT_SOFTAP_HTTP_LIMITS: SoftApHttpLimits = {
  headersTimeoutMs: L.HEADERS_TIMEOUT_MS,
  requestTimeoutMs: L.REQUEST_TIMEOUT_MS,
  connectionsCheckIntervalMs: L.CONNECTIONS_CHECK_INTERVAL_MS,
  maxSockets: L.MAX_SOCKETS,
  maxSocketsPerClient: L.MAX_SOCKETS_PER_CLIENT,
};

export interface SoftApServerOptions extends Omit<SoftApAppOptions, 'now' | 'timers'> {
  readonly http?: Partial<SoftApHttpLimits>;
  readonly now?: Clock;
  readonly timers?: Timers;
  readonly listen?: { readonly host?: string; readonly port?: number };
  /**
   * Further Host names the device answers to (e.g. a name its DNS gives it). The listening
   * address (with its port unless 80) is always allowed; the first name given here is where
   * captive-portal redirects point.
   */
  readonly allowedHosts?: readonly string[];
}

export interface SoftApTraffic {
  /** Bytes read from and written to client sockets (HTTP headers and bodies). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Requests answered. */
  readonly requests: number;
  /** Sockets open now, and refused so far for being over a cap. */
  readonly sockets: number;
  readonly socketsRefused: number;
  /** Long-poll requests waiting now. */
  readonly waiting: number;
}

export interface SoftApServer {
  /** The page origin, no trailing slash, e.g. http://10.0.0.1 (give it to connectHttp). */
  readonly url: string;
  readonly port: number;
  /** Live HTTP connections (phone connections of the protocol, not sockets). */
  connections(): number;
  traffic(): SoftApTraffic;
  close(): Promise<void>;
}

export async function startSoftApServer(options: SoftApServerOptions): Promise<SoftApServer> {
  const { listen, allowedHosts, http: httpLimits, ...rest } = options;
  const soft = createSoftApApp({ ...rest, now: options.now ?? systemClock, timers: options.timers ?? systemTimers });
  const limits: SoftApHttpLimits = { ...DEFAULT_SOFTAP_HTTP_LIMITS, ...httpLimits };
  const { server, guard } = createGuardedServer(soft.app, limits);
  const bytes = countBytes(server, guard);
  const host = listen?.host ?? DEFAULT_LISTEN.host;
  // A wildcard address is no name a browser uses: the Host allow-list needs the real one.
  if (WILDCARD_HOSTS.has(host) && !allowedHosts?.length) {
    throw new UsageError('CONFIG_INVALID', {
      detail: 'listen.host: a wildcard address needs allowedHosts (the name or address phones use)',
    });
  }
  const port = await listenOn(server, host, listen?.port ?? DEFAULT_LISTEN.port);
  const own = setOrigin(soft.origin, host, port, allowedHosts ?? []);
  options.log?.(`softap: HTTP server on http://${own}/`);
  return {
    url: `http://${own}`,
    port,
    connections: () => soft.connections.size,
    traffic: () => ({
      ...bytes(),
      requests: soft.requests(),
      waiting: [...soft.connections.values()].filter((c) => c.waiting).length,
      sockets: guard.open(),
      socketsRefused: guard.refused(),
    }),
    close: async () => {
      soft.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

type SocketGuard = ReturnType<typeof guardSockets>;

/** Node's HTTP server with its timeouts, serving the app, with the socket caps in front of it. */
function createGuardedServer(app: SoftApApp['app'], limits: SoftApHttpLimits): { server: Server; guard: SocketGuard } {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: limits.connectionsCheckIntervalMs,
      maxHeaderSize: L.MAX_HEADER_BYTES,
    },
    (req, res) => {
      // A socket over a cap was answered when accepted: whatever it sends is not served.
      if (guard.isRefused(req.socket)) return void res.destroy();
      app(req, res);
    },
  );
  const guard = guardSockets(server, {
    maxSockets: limits.maxSockets,
    maxSocketsPerClient: limits.maxSocketsPerClient,
    retryAfterS: L.SOCKET_RETRY_AFTER_S,
  });
  return { server, guard };
}

/** Bytes read from and written to the accepted client sockets, closed ones included. */
function countBytes(server: Server, guard: SocketGuard): () => { bytesIn: number; bytesOut: number } {
  const sockets = new Set<Socket>();
  let closedIn = 0;
  let closedOut = 0;
  server.on('connection', (socket) => {
    if (guard.isRefused(socket)) return;
    sockets.add(socket);
    socket.once('close', () => {
      closedIn += socket.bytesRead;
      closedOut += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  return () => {
    let bytesIn = closedIn;
    let bytesOut = closedOut;
    for (const s of sockets) {
      bytesIn += s.bytesRead;
      bytesOut += s.bytesWritten;
    }
    return { bytesIn, bytesOut };
  };
}

/** Listens; the port bound (the one asked for, or the one given for port 0). Fails with SOFTAP_FAILED. */
async function listenOn(server: Server, host: string, wantPort: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      reject(
        new ProvisioningError('SOFTAP_FAILED', {
          detail: `HTTP server cannot listen on ${host}:${wantPort} (${err.code ?? err.message})`,
          cause: err,
        }),
      );
    };
    server.once('error', failed);
    server.listen(wantPort, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Sets the Host allow-list and the redirect target for where the server listens; the device's own name[:port]. */
function setOrigin(origin: SoftApOrigin, host: string, port: number, allowedHosts: readonly string[]): string {
  const extra = allowedHosts.map((h) => h.toLowerCase());
  const own = WILDCARD_HOSTS.has(host) ? extra[0]! : port === 80 ? host : `${host}:${port}`;
  origin.allowedHosts = new Set([
    own.toLowerCase(),
    ...extra,
    ...(port === 80 && !WILDCARD_HOSTS.has(host) ? [`${host}:80`] : []),
  ]);
  origin.pageUrl = `http://${extra[0] ?? own}/`;
  return own;
}
