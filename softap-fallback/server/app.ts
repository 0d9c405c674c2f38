/**
 * The express app of the SoftAP server: the routes of softap-fallback/server/README.md over one
 * {@link HttpConnection} per phone connection. Knows nothing of sockets or listening (index.ts).
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { ProvisioningAgent } from '../../peripheral/agent/index.js';
import type { Timers, Clock } from '../../protocol/index.js';
import { buildInfo } from '../../peripheral/engine/index.js';
import { encodeMessage, UsageError, FIRST_FRAME_HEADER_BYTES, FLAG_FIRST, FLAG_LAST } from '../../protocol/index.js';
import { decodeHandshake, MSG_HELLO } from '../../protocol/session/index.js';
import type { AttemptLimiter, RandomSource, SetupVerifier } from '../../protocol/session/index.js';
import type { WritableName } from '../../central/engine/index.js';
import { API_PREFIX, FRAME_CONTENT_TYPE, WRITABLE_CHANNELS } from '../client/index.js';
import type { ClaimDefaults, CreatedConnection } from '../client/index.js';
import { mediaType, readBody, refuseBody } from './body.js';
import { ConnectionPool } from './connection-pool.js';
import type { HttpConnection } from './http-connection.js';
import { HttpFailure, sendFailure, toHttpFailure } from './http-error.js';
import * as L from './limits.js';
import { DEFAULT_SOFTAP_LIMITS } from './limits.js';
import type { SoftApLimits } from './limits.js';
import { PageServer } from './page.js';
import type { PageAssets } from './page.js';
import { RateLimiter } from './rate-limit.js';
import { guard, securityHeaders } from './security.js';

export interface SoftApAppOptions {
  readonly agent: ProvisioningAgent;
  readonly verifier: SetupVerifier;
  /** THE attempt limiter the BLE server uses too: a wrong code over either transport counts once. */
  readonly attempts: AttemptLimiter;
  /**
   * The info bytes (PROTOCOL.md §5.2), or a function giving the current ones (snapshotted per
   * connection). Default: built as the BLE server builds them, from the verifier's device id, the
   * agent's state, `model` and `firmware`.
   */
  readonly info?: Uint8Array | (() => Uint8Array);
  /** Must equal the verifier's device id when given (a check against wiring two devices together). */
  readonly deviceId?: string;
  readonly model?: string;
  readonly firmware?: string;
  readonly random: RandomSource;
  readonly now: Clock;
  readonly timers: Timers;
  readonly claimDefaults?: ClaimDefaults;
  readonly page?: PageAssets;
  readonly limits?: Partial<SoftApLimits>;
  readonly log?: (line: string) => void;
}

/** Where the app is reached; set once the server listens. */
export interface SoftApOrigin {
  allowedHosts: ReadonlySet<string>;
  pageUrl: string;
}

export interface SoftApApp {
  readonly app: express.Express;
  readonly origin: SoftApOrigin;
  /** Live (and lingering) connections. */
  readonly connections: ReadonlyMap<string, HttpConnection>;
  /** Requests answered so far. */
  readonly requests: () => number;
  /** Ends every connection (server shutdown). */
  closeAll(): void;
}

const CONNECTION_PATH = `${API_PREFIX}/connections/:id`;
const FRAMES_ROUTE = new RegExp(`^${API_PREFIX.replace(/[/.]/g, '\\$&')}/connections/[^/]+/frames/[^/]+$`);

function infoSource(options: SoftApAppOptions): () => Uint8Array {
  const given = options.info;
  if (typeof given === 'function') return given;
  if (given) return () => given;
  const deviceId = options.verifier.deviceId;
  if (options.deviceId !== undefined && options.deviceId !== deviceId) {
    throw new UsageError('CONFIG_INVALID', { detail: "deviceId: differs from the verifier's device id" });
  }
  const { model, firmware } = options;
  return () =>
    encodeMessage(
      buildInfo({
        deviceId,
        state: options.agent.state,
        ...(model !== undefined ? { model } : {}),
        ...(firmware !== undefined ? { firmware } : {}),
      }),
    );
}

/**
 * Whether a session frame starts a handshake (a hello), which the per-client handshake limit
 * counts. A frame that cannot be read as a whole handshake message counts too: guessing costs.
 */
function startsHandshake(frame: Uint8Array): boolean {
  if ((frame[0]! & FLAG_FIRST) === 0) return false;
  if ((frame[0]! & FLAG_LAST) === 0) return true;
  try {
    return decodeHandshake(frame.subarray(FIRST_FRAME_HEADER_BYTES)).type === MSG_HELLO;
  } catch {
    return true;
  }
}

function clientOf(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export function createSoftApApp(options: SoftApAppOptions): SoftApApp {
  const limits: SoftApLimits = { ...DEFAULT_SOFTAP_LIMITS, ...options.limits };
  const info = infoSource(options);
  const log = options.log;
  const origin: SoftApOrigin = { allowedHosts: new Set(), pageUrl: '/' };
  const pool = new ConnectionPool({
    agent: options.agent,
    verifier: options.verifier,
    attempts: options.attempts,
    info,
    random: options.random,
    now: options.now,
    timers: options.timers,
    limits,
    ...(log ? { log } : {}),
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', false);
  const requests = countRequests(app);
  useGuards(app, origin);
  useDeviceRoutes(app, info, options.claimDefaults);
  useConnectionRoutes(app, { options, pool, limits });
  usePageRoutes(app, new PageServer(options.page));
  useFailureHandlers(app, log);

  return { app, origin, connections: pool.connections, requests, closeAll: () => pool.closeAll() };
}

/** Counts the requests answered (for the server's traffic figures). */
function countRequests(app: express.Express): () => number {
  let requests = 0;
  app.use((_req, res, next) => {
    res.on('finish', () => {
      requests++;
    });
    next();
  });
  return () => requests;
}

/** Security headers, the Host/Origin guard, and no body on any route but a frame POST. */
function useGuards(app: express.Express, origin: SoftApOrigin): void {
  app.use(securityHeaders);
  app.use(
    guard({
      allowedHosts: { has: (h) => origin.allowedHosts.has(h) } as ReadonlySet<string>,
      pageUrl: () => origin.pageUrl,
    }),
  );
  // Only frame POSTs carry a body; a body anywhere else (a GET or HEAD of the page included) is refused.
  app.use((req, _res, next) => {
    if (!(req.method === 'POST' && FRAMES_ROUTE.test(req.path))) refuseBody(req);
    next();
  });
}

/** What the device tells anyone on its network: its info bytes and the claim defaults. */
function useDeviceRoutes(app: express.Express, info: () => Uint8Array, claimDefaults?: ClaimDefaults): void {
  app.get(`${API_PREFIX}/info`, (req, res) => {
    refuseBody(req);
    res.type(FRAME_CONTENT_TYPE).send(Buffer.from(info()));
  });

  app.get(`${API_PREFIX}/claim-defaults`, (req, res) => {
    refuseBody(req);
    if (!claimDefaults) throw new HttpFailure(404, 'CONFIG_INVALID', 'the device has no claim defaults');
    res.json(claimDefaults);
  });
}

interface ConnectionRoutes {
  readonly options: SoftApAppOptions;
  readonly pool: ConnectionPool;
  readonly limits: SoftApLimits;
}

/** The protocol's routes: open a connection, read its info, write frames, long-poll, end it. */
function useConnectionRoutes(app: express.Express, routes: ConnectionRoutes): void {
  const { pool } = routes;
  const connection = (req: Request): HttpConnection => pool.get(String(req.params['id']));

  app.post(`${API_PREFIX}/connections`, openConnection(routes));

  app.get(`${CONNECTION_PATH}/info`, (req, res) => {
    refuseBody(req);
    res.type(FRAME_CONTENT_TYPE).send(Buffer.from(connection(req).info));
  });

  app.post(`${CONNECTION_PATH}/frames/:channel`, writeFrame(routes, connection));

  app.get(`${CONNECTION_PATH}/notifications`, (req, res) => {
    refuseBody(req);
    const text = typeof req.query['after'] === 'string' ? req.query['after'] : '';
    if (!/^\d{1,9}$/.test(text)) throw new HttpFailure(400, 'MESSAGE_INVALID', 'after must be an integer 0-999999999');
    const conn = connection(req);
    let answered = false;
    const cancel = conn.poll(Number(text), (batch) => {
      answered = true;
      if (!res.writableEnded && !res.destroyed) res.json(batch);
    });
    // A client that aborts (tab closed, AbortController) must not leave its waiter behind.
    res.on('close', () => {
      if (!answered) cancel();
    });
  });

  app.delete(CONNECTION_PATH, (req, res) => {
    refuseBody(req);
    connection(req).remove();
    res.status(204).end();
  });

  app.all(`${API_PREFIX}/*rest`, () => {
    throw new HttpFailure(404, 'MESSAGE_INVALID', 'no such endpoint');
  });
}

/** POST /connections: rate-limited per address, refused while locked out or while another phone holds the device. */
function openConnection({ options, pool, limits }: ConnectionRoutes): express.RequestHandler {
  const connectLimit = new RateLimiter({
    burst: limits.connectBurst,
    refillMs: limits.connectRefillMs,
    maxClients: L.MAX_TRACKED_CLIENTS,
    now: options.now,
  });
  return (req, res) => {
    refuseBody(req);
    const client = clientOf(req);
    rateLimited(connectLimit.take(client), 'new connections');
    const lock = options.attempts.check();
    if (lock.locked)
      throw new HttpFailure(429, 'SESSION_LOCKED_OUT', undefined, Math.max(1, Math.ceil(lock.retryAfterMs / 1000)));
    // Another phone (BLE, or HTTP from another address) holds the agent. The same address may
    // come back (a dropped request, a reloaded page): proving the code again takes its session over.
    if (options.agent.busy && !pool.holdsSession(client))
      throw new HttpFailure(503, 'DEVICE_BUSY', 'another phone holds the device');
    const { id } = pool.open(client);
    const body: CreatedConnection = { id, attPayload: L.SOFTAP_ATT_PAYLOAD, longPollMs: limits.longPollMs };
    res.status(201).json(body);
  };
}

/** POST .../frames/:channel: one frame to the connection's GattConnection; hellos count against the handshake limit. */
function writeFrame(
  { options, limits }: ConnectionRoutes,
  connection: (req: Request) => HttpConnection,
): express.RequestHandler {
  const handshakeLimit = new RateLimiter({
    burst: limits.handshakeBurst,
    refillMs: limits.handshakeRefillMs,
    maxClients: L.MAX_TRACKED_CLIENTS,
    now: options.now,
  });
  return async (req, res) => {
    const channel = String(req.params['channel']) as WritableName;
    if (!WRITABLE_CHANNELS.includes(channel))
      throw new HttpFailure(400, 'WRONG_CHANNEL', 'frames go to session, wifi, claim or control');
    if (mediaType(req) !== FRAME_CONTENT_TYPE)
      throw new HttpFailure(415, 'MESSAGE_INVALID', `frames are ${FRAME_CONTENT_TYPE}`);
    const conn = connection(req);
    if (conn.closed) throw new HttpFailure(404, 'LINK_LOST', 'the connection has ended');
    const frame = await readBody(req, L.MAX_FRAME_BODY_BYTES);
    if (frame.length === 0) throw new HttpFailure(400, 'FRAME_MALFORMED', 'empty frame');
    if (channel === 'session' && startsHandshake(frame)) {
      rateLimited(handshakeLimit.take(conn.client), 'handshakes');
      conn.startingHandshake(options.now());
    }
    // Errors inside the protocol come back as status notifications, as over BLE.
    await conn.write(channel, frame);
    res.status(204).end();
  };
}

function rateLimited(decision: ReturnType<RateLimiter['take']>, what: string): void {
  if (!decision.ok)
    throw new HttpFailure(
      429,
      'RATE_LIMITED',
      `too many ${what}`,
      Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
    );
}

/** The upload page and its assets; any other path on the device's own name leads to the page. */
function usePageRoutes(app: express.Express, page: PageServer): void {
  app.get('/*path', (req, res) => {
    const file = page.get(req.path);
    // Anything else on the device's own name leads to the page (captive-portal friendly).
    if (!file) return res.redirect(302, '/');
    res.setHeader('Cache-Control', 'no-cache');
    res.type(file.contentType).send(Buffer.from(file.body));
  });
  app.get('/', (_req, res) => {
    const file = page.get('/')!;
    res.setHeader('Cache-Control', 'no-cache');
    res.type(file.contentType).send(Buffer.from(file.body));
  });
}

/** 405 for a method no route takes; every thrown failure answered with its code. */
function useFailureHandlers(app: express.Express, log: ((line: string) => void) | undefined): void {
  app.use((_req: Request, _res: Response, next: NextFunction) =>
    next(new HttpFailure(405, 'MESSAGE_INVALID', 'method not allowed here')),
  );
  // express recognises an error handler by its four parameters.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const failure = toHttpFailure(err);
    if (failure.status === 500) log?.(`softap: internal failure: ${err instanceof Error ? err.name : typeof err}`);
    if (failure.status === 413) res.setHeader('Connection', 'close');
    sendFailure(res, failure);
  });
}
