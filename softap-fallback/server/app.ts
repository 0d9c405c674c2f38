/**
 * The express app of the SoftAP server: the routes of softap-fallback/server/README.md over one
 * {@link HttpConnection} per phone connection. Knows nothing of sockets or listening (index.ts).
 */
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { ProvisioningAgent } from '../../peripheral/agent/index.js';
import { buildInfo, SESSION_IDLE_TIMEOUT_MS } from '../../peripheral/engine/index.js';
import type { Timers } from '../../peripheral/engine/index.js';
import {
  encodeMessage,
  ProtocolError,
  UsageError,
  FIRST_FRAME_HEADER_BYTES,
  FLAG_FIRST,
  FLAG_LAST,
} from '../../protocol/index.js';
import { decodeHandshake, MSG_HELLO } from '../../protocol/session/index.js';
import type { AttemptLimiter, RandomSource, SetupVerifier } from '../../protocol/session/index.js';
import type { WritableName } from '../../central/engine/index.js';
import { API_PREFIX, FRAME_CONTENT_TYPE, WRITABLE_CHANNELS, toBase64Url } from '../client/index.js';
import type { ClaimDefaults, CreatedConnection } from '../client/index.js';
import { mediaType, readBody, refuseBody } from './body.js';
import { HttpConnection } from './http-connection.js';
import { HttpFailure, sendFailure, toHttpFailure } from './http-error.js';
import * as L from './limits.js';
import { PageServer } from './page.js';
import type { PageAssets } from './page.js';
import { RateLimiter } from './rate-limit.js';
import { guard, securityHeaders } from './security.js';

/** Limits a device (or a test) may tune; defaults in limits.ts. */
export interface SoftApLimits {
  readonly longPollMs: number;
  readonly connectionIdleMs: number;
  readonly sessionIdleMs: number;
  readonly closedLingerMs: number;
  readonly maxConnections: number;
  readonly handshakeHoldMs: number;
  readonly maxQueuedNotifications: number;
  readonly connectBurst: number;
  readonly connectRefillMs: number;
  readonly handshakeBurst: number;
  readonly handshakeRefillMs: number;
}

export const DEFAULT_SOFTAP_LIMITS: SoftApLimits = {
  longPollMs: L.LONG_POLL_MS,
  connectionIdleMs: L.CONNECTION_IDLE_MS,
  sessionIdleMs: SESSION_IDLE_TIMEOUT_MS,
  closedLingerMs: L.CLOSED_LINGER_MS,
  maxConnections: L.MAX_CONNECTIONS,
  handshakeHoldMs: L.HANDSHAKE_HOLD_MS,
  maxQueuedNotifications: L.MAX_QUEUED_NOTIFICATIONS,
  connectBurst: L.CONNECT_BURST,
  connectRefillMs: L.CONNECT_REFILL_MS,
  handshakeBurst: L.HANDSHAKE_BURST,
  handshakeRefillMs: L.HANDSHAKE_REFILL_MS,
};

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
  readonly now: () => number;
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
  const connections = new Map<string, HttpConnection>();
  const page = new PageServer(options.page);
  const connectLimit = new RateLimiter({
    burst: limits.connectBurst,
    refillMs: limits.connectRefillMs,
    maxClients: L.MAX_TRACKED_CLIENTS,
    now: options.now,
  });
  const handshakeLimit = new RateLimiter({
    burst: limits.handshakeBurst,
    refillMs: limits.handshakeRefillMs,
    maxClients: L.MAX_TRACKED_CLIENTS,
    now: options.now,
  });
  let requests = 0;

  const sessionHolders = (): HttpConnection[] => [...connections.values()].filter((c) => c.established);
  /**
   * The agent as one connection's GattConnection sees it: opening a session first ends a session
   * this client's address still holds over HTTP (its earlier connection, gone silent), and refuses
   * (DEVICE_BUSY) while another address holds one. Only the members GattConnection uses.
   */
  const agentFor = (self: () => HttpConnection): ProvisioningAgent => {
    const agent = options.agent;
    const view: Pick<ProvisioningAgent, 'openSession' | 'status' | 'onStatus' | 'state'> = {
      openSession: (transport) => {
        const me = self();
        for (const other of sessionHolders()) {
          if (other === me) continue;
          if (other.client !== me.client)
            throw new ProtocolError('DEVICE_BUSY', { detail: 'another phone is connected over softap' });
          other.end('DEVICE_BUSY');
        }
        return agent.openSession(transport);
      },
      status: () => agent.status(),
      onStatus: (listener) => agent.onStatus(listener),
      get state() {
        return agent.state;
      },
    };
    return view as ProvisioningAgent;
  };
  /**
   * Full: the oldest connection that is neither in a session nor in its handshake makes room
   * (closed ones first, then the newcomer's own address), so idle or unauthenticated connections
   * cannot keep the owner of the setup code out, and a flood cannot cut a handshake or a job.
   */
  const makeRoom = (client: string): void => {
    const now = options.now();
    const all = [...connections.values()];
    const evictable = all.filter((c) => c.evictable(now, limits.handshakeHoldMs));
    const victim = evictable.find((c) => c.closed) ?? evictable.find((c) => c.client === client) ?? evictable[0];
    if (!victim) throw new HttpFailure(503, 'DEVICE_BUSY', 'every connection slot is in a handshake or a session', 1);
    victim.evict();
  };
  const rateLimited = (decision: ReturnType<RateLimiter['take']>, what: string): void => {
    if (!decision.ok)
      throw new HttpFailure(
        429,
        'RATE_LIMITED',
        `too many ${what}`,
        Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
      );
  };
  const connection = (req: Request): HttpConnection => {
    const id = String(req.params['id']);
    const c = connections.get(id);
    if (!c) throw new HttpFailure(404, 'LINK_LOST', 'no such connection (closed or expired)');
    return c;
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    res.on('finish', () => {
      requests++;
    });
    next();
  });
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

  app.get(`${API_PREFIX}/info`, (req, res) => {
    refuseBody(req);
    res.type(FRAME_CONTENT_TYPE).send(Buffer.from(info()));
  });

  app.get(`${API_PREFIX}/claim-defaults`, (req, res) => {
    refuseBody(req);
    if (!options.claimDefaults) throw new HttpFailure(404, 'CONFIG_INVALID', 'the device has no claim defaults');
    res.json(options.claimDefaults);
  });

  app.post(`${API_PREFIX}/connections`, (req, res) => {
    refuseBody(req);
    const client = clientOf(req);
    rateLimited(connectLimit.take(client), 'new connections');
    const lock = options.attempts.check();
    if (lock.locked)
      throw new HttpFailure(429, 'SESSION_LOCKED_OUT', undefined, Math.max(1, Math.ceil(lock.retryAfterMs / 1000)));
    // Another phone (BLE, or HTTP from another address) holds the agent. The same address may
    // come back (a dropped request, a reloaded page): proving the code again takes its session over.
    if (options.agent.busy && !sessionHolders().some((c) => c.client === client))
      throw new HttpFailure(503, 'DEVICE_BUSY', 'another phone holds the device');
    if (connections.size >= limits.maxConnections) makeRoom(client);
    const id = toBase64Url(options.random(L.CONNECTION_ID_BYTES));
    const conn: HttpConnection = new HttpConnection({
      id,
      client,
      gatt: {
        agent: agentFor(() => conn),
        verifier: options.verifier,
        attempts: options.attempts,
        // Snapshot: the bytes the phone reads are the bytes the handshake binds.
        info: info(),
        random: options.random,
        now: options.now,
        idleTimeoutMs: limits.sessionIdleMs,
        attPayload: L.SOFTAP_ATT_PAYLOAD,
      },
      timers: options.timers,
      longPollMs: limits.longPollMs,
      idleMs: limits.connectionIdleMs,
      lingerMs: limits.closedLingerMs,
      maxQueued: limits.maxQueuedNotifications,
      onGone: (gone) => connections.delete(gone),
      ...(log ? { log } : {}),
    });
    connections.set(id, conn);
    log?.(`softap ${id.slice(0, 6)}: connection from ${client}`);
    const body: CreatedConnection = { id, attPayload: L.SOFTAP_ATT_PAYLOAD, longPollMs: limits.longPollMs };
    res.status(201).json(body);
  });

  app.get(`${CONNECTION_PATH}/info`, (req, res) => {
    refuseBody(req);
    res.type(FRAME_CONTENT_TYPE).send(Buffer.from(connection(req).info));
  });

  app.post(`${CONNECTION_PATH}/frames/:channel`, async (req, res) => {
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
  });

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

  return {
    app,
    origin,
    connections,
    requests: () => requests,
    closeAll: () => {
      for (const c of [...connections.values()]) c.remove();
    },
  };
}
