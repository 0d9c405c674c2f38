import { createPublicKey } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Database from 'better-sqlite3';
import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { OidcConfig } from '../config/index.js';
import { closeServer, listen } from './http-server.js';
import { legacyAuthPrefix, realmInfo } from './keycloak-shape.js';
import { introspectionHandler } from './introspection.js';
import { LoginThrottle } from './login-throttle.js';
import { mountLoginInteraction } from './oidc-interactions.js';
import type { OidcKeyMaterial } from './oidc-keys.js';
import { errorPage } from './oidc-pages.js';
import { createOidcProvider, FIRST_PARTY_SCOPES } from './oidc-provider-config.js';
import { registerPasswordGrant } from './password-grant.js';
import { UserDirectory, userClaims } from './users.js';

export interface OidcServerOptions {
  db: Database.Database;
  keys: OidcKeyMaterial;
  config: OidcConfig;
  host: string;
  port: number;
  /** Host name put in the issuer URL (defaults to `host`, or 127.0.0.1 for a wildcard bind). */
  publicHost?: string;
  /** Secrets of the confidential clients (`confidential: true`), by client id. */
  clientSecrets?: ReadonlyMap<string, string>;
  /** Counts wrong passwords per username and address across interactions (login-throttle.ts). */
  loginThrottle?: LoginThrottle;
}

export interface RunningOidcServer {
  /** e.g. http://127.0.0.1:4511/realms/fleet */
  issuer: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The OpenID Connect provider: certified `oidc-provider` mounted at a Keycloak-like realm path
 * (`/realms/<realm>`), with our own login and device pages in front of it.
 */
export async function startOidcServer(options: OidcServerOptions): Promise<RunningOidcServer> {
  const { config } = options;
  const prefix = `/realms/${config.realm}`;
  const users = new UserDirectory(config.users);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(legacyAuthPrefix);
  const server = createServer(app);
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const issuer = issuerUrl(options, port, prefix);
  const provider = createOidcProvider({
    issuer,
    prefix,
    users,
    db: options.db,
    keys: options.keys,
    config,
    ...(options.clientSecrets ? { clientSecrets: options.clientSecrets } : {}),
  });
  const throttle = options.loginThrottle ?? new LoginThrottle({ now: Date.now });
  registerPasswordGrant({
    provider,
    authenticate: (username, password) => users.authenticate(username, password),
    throttle,
    grantedScopes: FIRST_PARTY_SCOPES,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    claimsOf: userClaims,
  });
  mountLoginInteraction(app, {
    provider,
    prefix,
    issuer,
    realm: config.realm,
    clientNames: new Map(config.clients.map((c) => [c.clientId, c.clientName ?? c.clientId])),
    csrfKey: Buffer.from(options.keys.cookieKeys[0] ?? '', 'base64url'),
    users,
    throttle,
  });
  mountKeycloakExtras(app, { options, provider, prefix, issuer });
  app.use(prefix, provider.callback());
  app.use(interactionErrorPage);
  return {
    issuer,
    port,
    close: () => closeServer(server),
  };
}

/** The issuer URL: the realm on the bound port, with a name clients can reach for a wildcard bind. */
function issuerUrl(options: OidcServerOptions, port: number, prefix: string): string {
  const issuerHost = options.publicHost ?? (['0.0.0.0', '::'].includes(options.host) ? '127.0.0.1' : options.host);
  return `http://${issuerHost.includes(':') ? `[${issuerHost}]` : issuerHost}:${port}${prefix}`;
}

/** What Keycloak serves beside the OIDC endpoints: the realm's public info and token introspection. */
function mountKeycloakExtras(
  app: Express,
  at: { options: OidcServerOptions; provider: Provider; prefix: string; issuer: string },
): void {
  const { options, provider, prefix, issuer } = at;
  const publicKeyPem = createPublicKey({ key: options.keys.jwks.keys[0] as NodeJwk, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  app.get(
    prefix,
    realmInfo(options.config.realm, issuer, () => publicKeyPem),
  );
  app.post(
    `${prefix}/protocol/openid-connect/token/introspect`,
    ...introspectionHandler({
      issuer,
      signingKey: options.keys.jwks.keys[0]!,
      clientSecrets: options.clientSecrets ?? new Map(),
      findRefreshToken: (value) => provider.RefreshToken.find(value),
    }),
  );
}

/** Errors from our interaction routes (an expired or foreign interaction): a page, not a stack trace. */
function interactionErrorPage(err: Error, _req: Request, res: Response, _next: NextFunction): void {
  const expired =
    err.name === 'SessionNotFound' || err.name === 'InvalidRequest' || err.message === 'interaction mismatch';
  res
    .status(400)
    .type('html')
    .send(
      errorPage(
        expired ? 'invalid_request' : 'server_error',
        expired
          ? 'This sign-in request has expired or belongs to another browser. Start again from the app.'
          : undefined,
      ),
    );
}
