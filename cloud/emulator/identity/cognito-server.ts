import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import type { CredentialStore } from '../contracts/index.js';
import type { CognitoConfig } from '../config/index.js';
import { CognitoError } from './cognito-errors.js';
import { IdentityPool } from './cognito-pool.js';
import type { Json } from './cognito-pool.js';
import { IdentityStore } from './identity-store.js';
import { LoginTokenVerifier } from './login-token-verifier.js';
import type { TrustedProvider } from './login-token-verifier.js';
import { closeServer, listen } from './http-server.js';
import { applyCors } from '../cors/index.js';

/** Largest request body accepted (bytes); Cognito's requests are a few KiB at most. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
const TARGET_PREFIX = 'AWSCognitoIdentityService.';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface CognitoServerOptions {
  db: Database.Database;
  config: CognitoConfig;
  /** Providers the pool trusts, issuers resolved (the emulator's own issuer filled in). */
  providers: TrustedProvider[];
  credentials: CredentialStore;
  region: string;
  accountId: string;
  /** Signs GetOpenIdToken's tokens; the public half is served at /.well-known/jwks_uri. */
  signingKey: JWK;
  host: string;
  port: number;
  /** The clock for token expiry checks and credential expiration (tests move it). */
  now?: () => Date;
}

export interface RunningCognitoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The Cognito identity pool (awsJson1_1 on POST /): GetId, GetCredentialsForIdentity and
 * GetOpenIdToken. Unsigned, as in AWS (these operations are public; the login token is the proof).
 */
export async function startCognitoServer(options: CognitoServerOptions): Promise<RunningCognitoServer> {
  const now = options.now ?? (() => new Date());
  const privateKey = await importJWK(options.signingKey, 'RS256');
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = options.signingKey;
  const server = createServer();
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = ['0.0.0.0', '::'].includes(options.host) ? '127.0.0.1' : options.host;
  const url = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;
  const pool = new IdentityPool({
    config: options.config,
    identities: new IdentityStore(options.db, () => now().getTime()),
    verifier: new LoginTokenVerifier(options.providers, now),
    credentials: options.credentials,
    region: options.region,
    accountId: options.accountId,
    issuer: url,
    privateKey,
    publicJwk,
    now,
  });
  // Attached once the pool exists; no request is read before this turn of the event loop ends.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (applyCors(req, res)) return;
    handle(pool, publicJwk, req, res).catch((err: unknown) => {
      const error =
        err instanceof CognitoError ? err : new CognitoError('InternalErrorException', 'An internal error occurred.');
      if (!(err instanceof CognitoError)) console.error('cognito emulator:', err);
      send(res, error.status, error.body(), error.headers());
    });
  });
  return { url, port, close: () => closeServer(server) };
}

/** One request: the public signing key, or one operation named by X-Amz-Target. */
async function handle(pool: IdentityPool, publicJwk: JWK, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/.well-known/jwks_uri') {
    send(res, 200, { keys: [{ ...publicJwk, use: 'sig', alg: 'RS256' }] }, {}, 'application/json');
    return;
  }
  if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
    throw new CognitoError('UnknownOperationException', 'Only POST / is served.', 404);
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  if (!target.startsWith(TARGET_PREFIX))
    throw new CognitoError('UnknownOperationException', 'Missing or unknown X-Amz-Target.');
  const body = await readJson(req);
  send(res, 200, await pool.run(target.slice(TARGET_PREFIX.length), body));
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BODY_BYTES) throw new CognitoError('SerializationException', 'Request body too large.', 413);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Json;
  } catch {
    throw new CognitoError('SerializationException', 'Request body is not a JSON object.');
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = JSON_CONTENT_TYPE,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(text);
}
