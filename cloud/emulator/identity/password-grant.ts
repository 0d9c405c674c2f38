/**
 * The resource-owner password credentials grant (RFC 6749 §4.3), which the seed's app used against
 * Keycloak and which oidc-provider does not implement. Offered, as Keycloak does, only to clients
 * with "Direct access grants" enabled (`directAccessGrants`), which oidc-provider checks before the
 * handler runs (`unauthorized_client` otherwise); a confidential client authenticates first.
 * Answers as Keycloak's token endpoint: `invalid_grant` / "Invalid user credentials" for a wrong
 * username or password (the same for both), counted by the login throttle.
 */
import { randomUUID } from 'node:crypto';
import { errors } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { GrantContext } from 'oidc-provider';
import type { OidcUserConfig } from '../config/index.js';
import { ACCESS_TOKEN_SCOPE, REALM_RESOURCE, resourceServerInfo } from './keycloak-shape.js';
import type { LoginThrottle } from './login-throttle.js';

export const PASSWORD_GRANT_TYPE = 'password';
/** Keycloak's error_description for a wrong username or password. */
export const INVALID_USER_CREDENTIALS = 'Invalid user credentials';

export interface PasswordGrantDeps {
  provider: Provider;
  authenticate(username: string, password: string): OidcUserConfig | undefined;
  throttle: LoginThrottle;
  /** The scopes a first-party client is granted. */
  grantedScopes: string;
  accessTokenTtlSeconds: number;
  /** The claims of a user for the ID token (as findAccount returns them). */
  claimsOf(user: OidcUserConfig): Record<string, unknown>;
}

function invalidGrant(description: string): Error {
  // InvalidGrant's argument is a detail; the description Keycloak sends needs the custom error.
  return new errors.CustomOIDCProviderError('invalid_grant', description);
}

/** Registers `grant_type=password` with `username`, `password` and `scope` parameters. */
export function registerPasswordGrant(deps: PasswordGrantDeps): void {
  const { provider } = deps;
  const handler = async (ctx: GrantContext): Promise<void> => {
    const params = ctx.oidc.params;
    const username = (params.username ?? '').trim();
    const password = params.password ?? '';
    if (!username || !password) throw new errors.InvalidRequest('username and password are required');
    const address = ctx.req.socket.remoteAddress ?? 'unknown';
    if (deps.throttle.check(username, address).locked) throw invalidGrant(INVALID_USER_CREDENTIALS);
    const user = deps.authenticate(username, password);
    if (!user) {
      deps.throttle.failed(username, address);
      throw invalidGrant(INVALID_USER_CREDENTIALS);
    }
    deps.throttle.succeeded(username);
    ctx.body = await issueForUser(ctx, deps, user, params.scope);
  };
  provider.registerGrantType(PASSWORD_GRANT_TYPE, handler, ['username', 'password', 'scope']);
}

async function issueForUser(
  ctx: GrantContext,
  deps: PasswordGrantDeps,
  user: OidcUserConfig,
  requested: string | undefined,
): Promise<Record<string, unknown>> {
  const { provider } = deps;
  const { client } = ctx.oidc;
  const scopes = new Set((requested ?? 'openid').split(' ').filter(Boolean));
  const grant = new provider.Grant({ clientId: client.clientId, accountId: user.sub });
  grant.addOIDCScope(deps.grantedScopes);
  grant.addResourceScope(REALM_RESOURCE, ACCESS_TOKEN_SCOPE);
  const grantId = await grant.save();
  // Keycloak opens a user session for a direct grant too: its id is `sid` and `session_state`.
  const sid = randomUUID();
  const authTime = Math.floor(Date.now() / 1000);
  const scope = [...scopes].filter((s) => ACCESS_TOKEN_SCOPE.split(' ').includes(s)).join(' ') || 'openid';

  const at = new provider.AccessToken({ accountId: user.sub, client, grantId, gty: PASSWORD_GRANT_TYPE, sid, scope });
  at.resourceServer = new provider.ResourceServer(REALM_RESOURCE, resourceServerInfo(deps.accessTokenTtlSeconds));
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();

  const rt = new provider.RefreshToken({
    accountId: user.sub,
    client,
    grantId,
    gty: PASSWORD_GRANT_TYPE,
    scope: [...scopes].join(' '),
    sid,
    authTime,
    resource: REALM_RESOURCE,
    rotations: 0,
  });
  const refreshToken = await rt.save();

  let idToken: string | undefined;
  if (scopes.has('openid')) {
    const token = new provider.IdToken({ ...deps.claimsOf(user), auth_time: authTime }, { ctx });
    token.scope = [...scopes].join(' ');
    token.set('sid', sid);
    token.set('auth_time', authTime);
    idToken = await token.issue({ use: 'idtoken' });
  }
  return {
    access_token: accessToken,
    expires_in: at.expiration,
    refresh_expires_in: rt.expiration,
    refresh_token: refreshToken,
    token_type: 'Bearer',
    ...(idToken !== undefined ? { id_token: idToken } : {}),
    'not-before-policy': 0,
    session_state: sid,
    scope,
  };
}
