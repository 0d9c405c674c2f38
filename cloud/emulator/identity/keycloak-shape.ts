/**
 * What makes oidc-provider look like Keycloak to a client written for Keycloak (the seed's
 * `python-keycloak`): JWT access tokens with Keycloak's claims, Keycloak's extra ID token claims,
 * the realm's public info at `/realms/<realm>`, and the legacy `/auth` prefix (Keycloak before 17).
 * Sources: Keycloak Server Administration Guide, "OpenID Connect" (token contents) and Keycloak's
 * "Securing Applications" guide, "Endpoints" (paths, introspection, PAR at `ext/par/request`).
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Every access token is issued for this resource (RFC 8707), which oidc-provider needs to issue
 * JWT access tokens; the JWT's `aud` is Keycloak's default audience `account`.
 */
export const REALM_RESOURCE = 'urn:keycloak:realm-account';
export const KEYCLOAK_ACCESS_TOKEN_AUDIENCE = 'account';
/** The scopes an access token carries (Keycloak's default client scopes). */
export const ACCESS_TOKEN_SCOPE = 'openid email profile';

export interface AccountLookup {
  (sub: string): { username: string; email?: string; name?: string } | undefined;
}

/** `features.resourceIndicators`: every access token a JWT for {@link REALM_RESOURCE}. */
export function resourceIndicators(accessTokenTtlSeconds: number): Record<string, unknown> {
  return {
    enabled: true,
    defaultResource: () => REALM_RESOURCE,
    useGrantedResource: () => true,
    getResourceServerInfo: () => resourceServerInfo(accessTokenTtlSeconds),
  };
}

/** The realm's resource server: Keycloak's access token scope, audience, lifetime and format (a JWT). */
export function resourceServerInfo(accessTokenTtlSeconds: number): Record<string, unknown> {
  return {
    scope: ACCESS_TOKEN_SCOPE,
    audience: KEYCLOAK_ACCESS_TOKEN_AUDIENCE,
    accessTokenTTL: accessTokenTtlSeconds,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
}

interface TokenLike {
  clientId?: string;
  accountId?: string;
  sid?: string;
  sessionUid?: string;
  authTime?: number;
}

interface StructuredJwt {
  header?: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/**
 * `formats.customizers.jwt`: Keycloak's access token claims — `typ: Bearer`, `azp` (the client),
 * `sid` and `session_state`, the user's `preferred_username`, `email`, `name` — and header `typ: JWT`.
 */
export function keycloakAccessTokenClaims(lookup: AccountLookup) {
  return (_ctx: unknown, token: TokenLike, jwt: StructuredJwt): void => {
    const p = jwt.payload;
    jwt.header = { ...jwt.header, typ: 'JWT' };
    p.typ = 'Bearer';
    if (token.clientId !== undefined) p.azp = token.clientId;
    delete p.client_id;
    const sid = token.sid ?? token.sessionUid;
    if (sid !== undefined) {
      p.sid = sid;
      p.session_state = sid;
    }
    const user = token.accountId !== undefined ? lookup(token.accountId) : undefined;
    if (user) {
      p.preferred_username = user.username;
      if (user.email !== undefined) {
        p.email = user.email;
        p.email_verified = true;
      }
      if (user.name !== undefined) p.name = user.name;
    }
  };
}

/** OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

// Function-typed properties, not methods: they are taken off the prototype and re-applied to `this`.
interface ProviderModels {
  AccessToken: { prototype: { save: (this: object, ...args: unknown[]) => Promise<string> } };
  IdToken: { prototype: { issue: (this: IdTokenLike, opts?: { use?: string }) => Promise<string> } };
}

/**
 * Adds Keycloak's ID token claims that oidc-provider leaves out: `typ: ID`, `azp`, `at_hash` (also
 * from the token endpoint, as Keycloak does), `session_state` (= `sid`). oidc-provider has no
 * option for these, so its two models are wrapped once at start.
 */
export function addKeycloakIdTokenClaims(provider: unknown): void {
  const { AccessToken, IdToken } = provider as ProviderModels;
  const values = new WeakMap<object, string>();
  const save = AccessToken.prototype.save;
  AccessToken.prototype.save = async function saveAndRemember(this: object, ...args: unknown[]): Promise<string> {
    const value = await save.apply(this, args);
    values.set(this, value);
    return value;
  };
  const issue = IdToken.prototype.issue;
  IdToken.prototype.issue = async function issueLikeKeycloak(
    this: IdTokenLike,
    opts?: { use?: string },
  ): Promise<string> {
    if (opts?.use === 'idtoken') {
      this.set('typ', 'ID');
      if (this.client?.clientId !== undefined) this.set('azp', this.client.clientId);
      const at = this.ctx?.oidc?.entities?.AccessToken;
      const value = at ? values.get(at) : undefined;
      // oidc-provider hashes at_hash itself (OIDC Core §3.1.3.6) when given the token's value.
      if (value !== undefined) this.set('at_hash', value);
      // oidc-provider sets `sid` only for clients that asked for logout sessions; Keycloak always
      // names the user session: the browser session's uid, or the direct grant's session.
      const sid = this.extra?.sid ?? (at as { sessionUid?: unknown } | undefined)?.sessionUid;
      if (typeof sid === 'string') {
        this.set('sid', sid);
        this.set('session_state', sid);
      }
    }
    return issue.call(this, opts);
  };
}

interface IdTokenLike {
  set(key: string, value: unknown): void;
  client?: { clientId: string };
  extra?: Record<string, unknown>;
  ctx?: { oidc?: { entities?: { AccessToken?: object } } };
}

/**
 * oidc-provider answers a grant type the client may not use with `invalid_request`; RFC 6749 §5.2
 * and Keycloak answer `unauthorized_client` ("Client not allowed for direct access grants" for the
 * password grant). A Koa middleware for `provider.use`.
 */
export async function unauthorizedClientAsKeycloak(
  ctx: { body?: unknown; oidc?: { params?: Record<string, unknown> } },
  next: () => Promise<void>,
): Promise<void> {
  await next();
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (
    body?.error === 'invalid_request' &&
    body.error_description === 'requested grant type is not allowed for this client'
  ) {
    const password = ctx.oidc?.params?.grant_type === 'password';
    ctx.body = {
      error: 'unauthorized_client',
      error_description: password
        ? 'Client not allowed for direct access grants'
        : 'Client not allowed for this grant type',
    };
  }
}

/**
 * `GET /realms/<realm>`: Keycloak's realm info (realm name, public key, token and account service
 * URLs, tokens-not-before), which Keycloak adapters fetch.
 */
export function realmInfo(realm: string, issuer: string, publicKeyPem: () => string): RequestHandler {
  return (_req, res) => {
    const publicKey = publicKeyPem().replace(/-----(BEGIN|END) PUBLIC KEY-----|\s/g, '');
    res.json({
      realm,
      public_key: publicKey,
      'token-service': `${issuer}/protocol/openid-connect`,
      'account-service': `${issuer}/account`,
      'tokens-not-before': 0,
    });
  };
}

/**
 * Keycloak before 17 served everything under `/auth` (`/auth/realms/<realm>/…`); clients written
 * for it (python-keycloak with `server_url=…/auth/`) keep working. The issuer stays `…/realms/<realm>`.
 */
export const legacyAuthPrefix: RequestHandler = (req, _res, next) => {
  if (req.url.startsWith('/auth/realms/')) req.url = req.url.slice('/auth'.length);
  next();
};
