import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { importJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { CredentialStore } from '../contracts.js';
import type { CognitoConfig } from '../config/schema.js';
import { IDENTITY_POOL_ID_PATTERN } from '../config/schema.js';
import { CognitoError, MESSAGES } from './cognito-errors.js';
import { IdentityStore } from './identity-store.js';
import type { IdentityRecord } from './identity-store.js';
import { LoginTokenVerifier } from './login-token-verifier.js';
import type { TrustedProvider, VerifiedLogin } from './login-token-verifier.js';
import { closeServer, listen } from './oidc-server.js';
import { mintTemporaryCredentials } from './temporary-credentials.js';

/** Largest request body accepted (bytes); Cognito's requests are a few KiB at most. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
/** GetOpenIdToken's token lifetime (seconds); Cognito's default is 15 minutes. */
export const OPEN_ID_TOKEN_TTL_S = 15 * 60;
/** Cognito: at most 10 entries in Logins. */
export const MAX_LOGINS = 10;
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

type Json = Record<string, unknown>;

/**
 * The Cognito identity pool (awsJson1_1 on POST /): GetId, GetCredentialsForIdentity and
 * GetOpenIdToken. Unsigned, as in AWS (these operations are public; the login token is the proof).
 */
export async function startCognitoServer(options: CognitoServerOptions): Promise<RunningCognitoServer> {
  const now = options.now ?? (() => new Date());
  const pool = options.config.identityPool;
  const identities = new IdentityStore(options.db, () => now().getTime());
  const verifier = new LoginTokenVerifier(options.providers, now);
  const privateKey = await importJWK(options.signingKey, 'RS256');
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = options.signingKey;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const error =
        err instanceof CognitoError ? err : new CognitoError('InternalErrorException', 'An internal error occurred.');
      if (!(err instanceof CognitoError)) console.error('cognito emulator:', err);
      send(res, error.status, error.body(), error.headers());
    });
  });
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = ['0.0.0.0', '::'].includes(options.host) ? '127.0.0.1' : options.host;
  const url = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    const operation = target.slice(TARGET_PREFIX.length);
    let result: Json;
    switch (operation) {
      case 'GetId':
        result = await getId(body);
        break;
      case 'GetCredentialsForIdentity':
        result = await getCredentialsForIdentity(body);
        break;
      case 'GetOpenIdToken':
        result = await getOpenIdToken(body);
        break;
      default:
        throw new CognitoError('UnknownOperationException', `Operation ${operation} is not supported by the emulator.`);
    }
    send(res, 200, result);
  }

  async function verifyLogins(logins: Record<string, string>): Promise<VerifiedLogin[]> {
    const verified: VerifiedLogin[] = [];
    for (const [name, token] of Object.entries(logins)) verified.push(await verifier.verify(name, token));
    return verified;
  }

  async function getId(body: Json): Promise<Json> {
    const poolId = requirePoolId(body.IdentityPoolId);
    const logins = readLogins(body.Logins);
    if (Object.keys(logins).length === 0) {
      if (!pool.allowUnauthenticatedIdentities)
        throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
      return { IdentityId: identities.createUnauthenticated(poolId, options.region).identityId };
    }
    const [first] = await verifyLogins(logins);
    const identity = identities.forLogin(poolId, options.region, first!.providerName, first!.sub);
    return { IdentityId: identity.identityId };
  }

  /** Finds the identity and checks the Logins prove it (or that it may be used unauthenticated). */
  async function authorizeIdentity(body: Json): Promise<{ identity: IdentityRecord; logins: VerifiedLogin[] }> {
    const identityId = requireString(body.IdentityId, 'identityId', /^[\w-]+:[0-9a-f-]+$/, 55);
    const identity = identities.find(identityId);
    if (!identity || identity.poolId !== pool.identityPoolId)
      throw new CognitoError('ResourceNotFoundException', MESSAGES.identityNotFound(identityId));
    const logins = readLogins(body.Logins);
    if (identity.providerName === null) {
      if (!pool.allowUnauthenticatedIdentities)
        throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
      if (Object.keys(logins).length > 0) throw new CognitoError('NotAuthorizedException', MESSAGES.loginsMismatch);
      return { identity, logins: [] };
    }
    if (Object.keys(logins).length === 0) throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
    const verified = await verifyLogins(logins);
    if (!verified.some((v) => v.providerName === identity.providerName && v.sub === identity.sub)) {
      throw new CognitoError('NotAuthorizedException', MESSAGES.loginsMismatch);
    }
    return { identity, logins: verified };
  }

  async function getCredentialsForIdentity(body: Json): Promise<Json> {
    if (body.CustomRoleArn !== undefined) {
      throw new CognitoError(
        'InvalidParameterException',
        'CustomRoleArn is not supported: the pool has no role rules.',
      );
    }
    const { identity } = await authorizeIdentity(body);
    const role = identity.providerName === null ? pool.unauthenticatedRole : pool.authenticatedRole;
    if (!role) throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
    const expiration = new Date(now().getTime() + options.config.credentialsTtlSeconds * 1000);
    const record = mintTemporaryCredentials({
      accountId: options.accountId,
      roleArn: role.roleArn,
      policies: role.policies,
      expiration,
    });
    options.credentials.put(record);
    return {
      IdentityId: identity.identityId,
      Credentials: {
        AccessKeyId: record.accessKeyId,
        SecretKey: record.secretAccessKey,
        SessionToken: record.sessionToken,
        // awsJson1_1 timestamps are epoch seconds.
        Expiration: Math.floor(expiration.getTime() / 1000),
      },
    };
  }

  async function getOpenIdToken(body: Json): Promise<Json> {
    const { identity, logins } = await authorizeIdentity(body);
    const issuedAt = Math.floor(now().getTime() / 1000);
    const amr =
      identity.providerName === null
        ? ['unauthenticated']
        : ['authenticated', identity.providerName, ...logins.map((l) => `${l.providerName}:${l.audience}:${l.sub}`)];
    const token = await new SignJWT({ amr })
      .setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid ?? 'cognito', typ: 'JWT' })
      .setIssuer(url)
      .setSubject(identity.identityId)
      .setAudience(pool.identityPoolId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + OPEN_ID_TOKEN_TTL_S)
      .setJti(randomUUID())
      .sign(privateKey);
    return { IdentityId: identity.identityId, Token: token };
  }

  function requirePoolId(value: unknown): string {
    const poolId = requireString(value, 'identityPoolId', IDENTITY_POOL_ID_PATTERN, 55);
    if (poolId !== pool.identityPoolId)
      throw new CognitoError('ResourceNotFoundException', MESSAGES.poolNotFound(poolId));
    return poolId;
  }

  return { url, port, close: () => closeServer(server) };
}

function requireString(value: unknown, member: string, pattern: RegExp, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value.length > maxLength || !pattern.test(value)) {
    throw new CognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value '${value.slice(0, 80)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

function readLogins(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new CognitoError('SerializationException', 'Logins must be a map.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LOGINS) {
    throw new CognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to ${MAX_LOGINS}`,
    );
  }
  const logins: Record<string, string> = {};
  for (const [key, token] of entries) {
    if (typeof token !== 'string' || token.length === 0 || key.length === 0 || key.length > 128) {
      throw new CognitoError(
        'InvalidParameterException',
        "1 validation error detected: Value at 'logins' failed to satisfy constraint: Map keys and values must have length between 1 and 128 (keys) or 1 and 50000 (values)",
      );
    }
    logins[key] = token;
  }
  return logins;
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
