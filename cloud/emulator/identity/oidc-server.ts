import { createHmac, createPublicKey, timingSafeEqual } from 'node:crypto';
import type { JsonWebKey as NodeJwk } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Database from 'better-sqlite3';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import Provider from 'oidc-provider';
import type { KoaLikeContext } from 'oidc-provider';
import type { OidcConfig, OidcUserConfig } from '../config/schema.js';
import {
  ACCESS_TOKEN_SCOPE,
  REALM_RESOURCE,
  addKeycloakIdTokenClaims,
  keycloakAccessTokenClaims,
  legacyAuthPrefix,
  realmInfo,
  resourceIndicators,
  unauthorizedClientAsKeycloak,
} from './keycloak-shape.js';
import { introspectionHandler } from './introspection.js';
import { sqliteAdapterFactory } from './oidc-adapter.js';
import { PASSWORD_GRANT_TYPE, registerPasswordGrant } from './password-grant.js';
import type { OidcKeyMaterial } from './oidc-keys.js';
import { LoginThrottle, lockMessage } from './login-throttle.js';
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  loginPage,
  logoutPage,
  signedOutPage,
} from './oidc-pages.js';
import { UserDirectory } from './users.js';

/** Wrong passwords allowed per login interaction before it is ended with access_denied. */
export const MAX_LOGIN_ATTEMPTS_PER_INTERACTION = 5;
/** Interactions whose failed attempts are remembered at once; abandoned ones are forgotten beyond this. */
export const MAX_TRACKED_INTERACTIONS = 10_000;
/** Interactions (a login page left open) expire after this many seconds. */
export const INTERACTION_TTL_S = 600;
/** Authorization codes are exchanged within this many seconds (RFC 6749 §4.1.2 recommends ≤ 10 min). */
export const AUTHORIZATION_CODE_TTL_S = 60;
/** The scopes a first-party client is granted on login (no consent page, as Keycloak does for its own clients). */
export const FIRST_PARTY_SCOPES = 'openid email profile offline_access';
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

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
  const claimsOf = (user: OidcUserConfig): Record<string, unknown> => ({
    sub: user.sub,
    preferred_username: user.username,
    ...(user.name ? { name: user.name } : {}),
    ...(user.email ? { email: user.email, email_verified: true } : {}),
  });
  const accountOf = (sub: string): { username: string; email?: string; name?: string } | undefined => {
    const user = users.findBySub(sub);
    return user
      ? {
          username: user.username,
          ...(user.email ? { email: user.email } : {}),
          ...(user.name ? { name: user.name } : {}),
        }
      : undefined;
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(legacyAuthPrefix);
  const server = createServer(app);
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const issuerHost = options.publicHost ?? (['0.0.0.0', '::'].includes(options.host) ? '127.0.0.1' : options.host);
  const issuer = `http://${issuerHost.includes(':') ? `[${issuerHost}]` : issuerHost}:${port}${prefix}`;
  const clientNames = new Map(config.clients.map((c) => [c.clientId, c.clientName ?? c.clientId]));
  const csrfKey = Buffer.from(options.keys.cookieKeys[0] ?? '', 'base64url');
  const csrfFor = (uid: string): string =>
    createHmac('sha256', csrfKey).update(`login-csrf:${uid}`).digest('base64url');
  const attempts = new Map<string, number>();
  const throttle = options.loginThrottle ?? new LoginThrottle({ now: Date.now });

  const provider = new Provider(issuer, {
    adapter: sqliteAdapterFactory(options.db),
    clients: config.clients.map((c) => {
      const secret = c.confidential ? options.clientSecrets?.get(c.clientId) : undefined;
      if (c.confidential && secret === undefined)
        throw new Error(`no secret for the confidential client ${c.clientId}`);
      return {
        client_id: c.clientId,
        client_name: c.clientName ?? c.clientId,
        application_type: 'native',
        // Confidential: the secret in the form body, as python-keycloak (the seed) sends it.
        ...(secret !== undefined
          ? { client_secret: secret, token_endpoint_auth_method: 'client_secret_post' }
          : { token_endpoint_auth_method: 'none' }),
        grant_types: [
          'authorization_code',
          'refresh_token',
          DEVICE_CODE_GRANT_TYPE,
          ...(c.directAccessGrants ? [PASSWORD_GRANT_TYPE] : []),
        ],
        response_types: ['code'],
        redirect_uris: c.redirectUris,
        id_token_signed_response_alg: 'RS256',
        // Keycloak puts auth_time into every ID token.
        require_auth_time: true,
      };
    }),
    jwks: options.keys.jwks,
    cookies: { keys: options.keys.cookieKeys },
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = users.findBySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => claimsOf(user),
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    // Keycloak puts profile claims into the ID token too; the phone shows who is logged in from it.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // Keycloak lists it in discovery and serves it at …/token/introspect (for confidential clients).
      introspection: { enabled: true },
      resourceIndicators: resourceIndicators(config.accessTokenTtlSeconds),
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: async (
          ctx: KoaLikeContext,
          form: string,
          _out: unknown,
          err?: { name?: string; userCode?: string },
        ) => {
          ctx.type = 'html';
          ctx.body = deviceInputPage(
            form,
            err
              ? err.userCode || err.name === 'NoCodeError'
                ? 'The code is incorrect. Try again.'
                : 'The request could not be processed.'
              : undefined,
          );
        },
        userCodeConfirmSource: async (
          ctx: KoaLikeContext,
          form: string,
          client: { clientId: string; clientName?: string },
          _info: unknown,
          userCode: string,
        ) => {
          ctx.type = 'html';
          ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode);
        },
        successSource: async (ctx: KoaLikeContext) => {
          ctx.type = 'html';
          ctx.body = deviceSuccessPage(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? 'The device');
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaLikeContext, form: string) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.host);
        },
        postLogoutSuccessSource: async (ctx: KoaLikeContext) => {
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
    },
    // Keycloak's endpoint paths under the realm, so that URLs look the same as in production
    // (clients should still use discovery).
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      userinfo: '/protocol/openid-connect/userinfo',
      jwks: '/protocol/openid-connect/certs',
      end_session: '/protocol/openid-connect/logout',
      device_authorization: '/protocol/openid-connect/auth/device',
      revocation: '/protocol/openid-connect/revoke',
      introspection: '/protocol/openid-connect/token/introspect',
      pushed_authorization_request: '/protocol/openid-connect/ext/par/request',
      code_verification: '/device',
    },
    formats: { customizers: { jwt: keycloakAccessTokenClaims(accountOf) } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${prefix}/interaction/${interaction.uid}` },
    // Refresh tokens for every client allowed the refresh_token grant, as Keycloak does (oidc-provider's
    // default needs offline_access, which it drops unless prompt=consent is requested).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    loadExistingGrant: async (ctx: KoaLikeContext) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      // Every configured client is first-party: grant its scopes without a consent page.
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(FIRST_PARTY_SCOPES);
      grant.addResourceScope(REALM_RESOURCE, ACCESS_TOKEN_SCOPE);
      await grant.save();
      session.ensureClientContainer(client.clientId);
      session.grantIdFor(client.clientId, grant.jti);
      return grant;
    },
    renderError: async (ctx: KoaLikeContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      IdToken: config.idTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
      DeviceCode: config.deviceCodeTtlSeconds,
      Session: config.sessionTtlSeconds,
      Grant: config.refreshTokenTtlSeconds,
      Interaction: INTERACTION_TTL_S,
      AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
    },
  });
  addKeycloakIdTokenClaims(provider);
  provider.use(unauthorizedClientAsKeycloak);
  registerPasswordGrant({
    provider,
    authenticate: (username, password) => users.authenticate(username, password),
    throttle,
    grantedScopes: FIRST_PARTY_SCOPES,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    claimsOf,
  });

  /** The grant of a first-party client: its scopes without a consent page. */
  const firstPartyGrant = async (
    clientId: string,
    accountId: string,
    existingId: string | undefined,
  ): Promise<string> => {
    const existing = existingId ? await provider.Grant.find(existingId) : undefined;
    const grant = existing ?? new provider.Grant({ clientId, accountId });
    grant.addOIDCScope(FIRST_PARTY_SCOPES);
    grant.addResourceScope(REALM_RESOURCE, ACCESS_TOKEN_SCOPE);
    return grant.save();
  };

  const urlencoded = express.urlencoded({ extended: false, limit: '8kb' });

  const showLogin = async (
    req: Request,
    res: Response,
    uid: string,
    error?: string,
    username?: string,
    status = 401,
  ): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const clientId = String(details.params.client_id ?? '');
    const loginPageInput = {
      action: `${prefix}/interaction/${uid}/login`,
      abortAction: `${prefix}/interaction/${uid}/abort`,
      csrf: csrfFor(uid),
      realm: config.realm,
      clientName: clientNames.get(clientId) ?? clientId,
      ...(error ? { error } : {}),
      ...(username ? { username } : {}),
    };
    res
      .status(error ? status : 200)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(loginPage(loginPageInput));
  };

  const checkCsrf = (req: Request, uid: string): boolean => {
    const sent = typeof req.body?.csrf === 'string' ? Buffer.from(req.body.csrf as string) : Buffer.alloc(0);
    const expected = Buffer.from(csrfFor(uid));
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return false;
    // A browser always sends Origin on a form POST; when it does, it must be us.
    const origin = req.get('origin');
    return origin === undefined || origin === 'null' || origin === new URL(issuer).origin;
  };

  app.get(`${prefix}/interaction/:uid`, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await showLogin(req, res, req.params.uid);
        return;
      }
      // Consent: every configured client is first-party (as a Keycloak client with "consent required"
      // off); native clients still need an explicit consent result, so record one without a page.
      const accountId = details.session?.accountId;
      if (!accountId) throw new Error('interaction mismatch');
      const grantId = await firstPartyGrant(String(details.params.client_id ?? ''), accountId, details.grantId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      next(err);
    }
  });

  app.post(`${prefix}/interaction/:uid/login`, urlencoded, async (req, res, next) => {
    try {
      const uid = req.params.uid;
      if (!checkCsrf(req, uid)) {
        res
          .status(403)
          .type('html')
          .send(errorPage('invalid_request', 'The form was not submitted from this sign-in page.'));
        return;
      }
      const username = typeof req.body?.username === 'string' ? (req.body.username as string).trim() : '';
      const password = typeof req.body?.password === 'string' ? (req.body.password as string) : '';
      const address = req.socket.remoteAddress ?? 'unknown';
      const lock = throttle.check(username, address);
      if (lock.locked) {
        // The password is not checked while locked: the page tells nothing about it.
        res.set('Retry-After', String(Math.ceil(lock.retryAfterMs / 1000)));
        await showLogin(req, res, uid, lockMessage(lock), username, 429);
        return;
      }
      const user = username && password ? users.authenticate(username, password) : undefined;
      if (username && password) {
        if (user) throttle.succeeded(username);
        else throttle.failed(username, address);
      }
      if (!user) {
        const count = (attempts.get(uid) ?? 0) + 1;
        if (!attempts.has(uid) && attempts.size >= MAX_TRACKED_INTERACTIONS)
          attempts.delete(attempts.keys().next().value!);
        attempts.set(uid, count);
        if (count >= MAX_LOGIN_ATTEMPTS_PER_INTERACTION) {
          attempts.delete(uid);
          await provider.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'Too many failed sign-in attempts' },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        await showLogin(req, res, uid, 'Invalid username or password.', username);
        return;
      }
      attempts.delete(uid);
      const details = await provider.interactionDetails(req, res);
      const grantId = await firstPartyGrant(String(details.params.client_id ?? ''), user.sub, details.grantId);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, remember: true }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  app.post(`${prefix}/interaction/:uid/abort`, urlencoded, async (req, res, next) => {
    try {
      if (!checkCsrf(req, req.params.uid)) {
        res
          .status(403)
          .type('html')
          .send(errorPage('invalid_request', 'The form was not submitted from this sign-in page.'));
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  const publicKeyPem = createPublicKey({ key: options.keys.jwks.keys[0] as NodeJwk, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  app.get(
    prefix,
    realmInfo(config.realm, issuer, () => publicKeyPem),
  );
  app.post(
    `${prefix}/protocol/openid-connect/token/introspect`,
    ...introspectionHandler({
      issuer,
      signingKey: options.keys.jwks.keys[0]!,
      clientSecrets: options.clientSecrets ?? new Map(),
      findRefreshToken: async (value) =>
        (await (provider as unknown as { RefreshToken: { find(v: string): Promise<never> } }).RefreshToken.find(
          value,
        )) ?? undefined,
    }),
  );
  app.use(prefix, provider.callback() as (req: IncomingMessage, res: ServerResponse) => void);

  // Errors from our interaction routes (an expired or foreign interaction): a page, not a stack trace.
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
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
  });

  return {
    issuer,
    port,
    close: () => closeServer(server),
  };
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
