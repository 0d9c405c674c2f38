/**
 * The `oidc-provider` instance behind the realm: its clients, features, Keycloak's endpoint paths,
 * first-party grants and lifetimes. Pages and routes in front of it are oidc-server.ts's.
 */
import type Database from 'better-sqlite3';
import Provider, { errors } from 'oidc-provider';
import type { KoaLikeContext } from 'oidc-provider';
import type { OidcConfig } from '../config/index.js';
import {
  ACCESS_TOKEN_SCOPE,
  REALM_RESOURCE,
  addKeycloakIdTokenClaims,
  keycloakAccessTokenClaims,
  resourceIndicators,
  unauthorizedClientAsKeycloak,
} from './keycloak-shape.js';
import { sqliteAdapterFactory } from './oidc-adapter.js';
import type { OidcKeyMaterial } from './oidc-keys.js';
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  logoutPage,
  signedOutPage,
} from './oidc-pages.js';
import { PASSWORD_GRANT_TYPE } from './password-grant.js';
import { userClaims } from './users.js';
import type { UserDirectory } from './users.js';

/** Interactions (a login page left open) expire after this many seconds. */
export const INTERACTION_TTL_S = 600;
/** Authorization codes are exchanged within this many seconds (RFC 6749 §4.1.2 recommends ≤ 10 min). */
export const AUTHORIZATION_CODE_TTL_S = 60;
/** The scopes a first-party client is granted on login (no consent page, as Keycloak does for its own clients). */
export const FIRST_PARTY_SCOPES = 'openid email profile offline_access';
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Keycloak's endpoint paths under the realm, so that URLs look the same as in production (clients
 * should still use discovery).
 */
const KEYCLOAK_ROUTES = {
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
};

export interface OidcProviderInput {
  issuer: string;
  /** The realm's path, e.g. `/realms/fleet`. */
  prefix: string;
  db: Database.Database;
  keys: OidcKeyMaterial;
  config: OidcConfig;
  users: UserDirectory;
  clientSecrets?: ReadonlyMap<string, string>;
}

/** The provider, shaped like Keycloak (keycloak-shape.ts). */
export function createOidcProvider(input: OidcProviderInput): Provider {
  const { config, users } = input;
  const provider = new Provider(input.issuer, {
    adapter: sqliteAdapterFactory(input.db),
    clients: providerClients(config, input.clientSecrets),
    jwks: input.keys.jwks,
    cookies: { keys: input.keys.cookieKeys },
    findAccount: (_ctx: unknown, sub: string) => {
      const user = users.findBySub(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => userClaims(user) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    // Keycloak puts profile claims into the ID token too; the phone shows who is logged in from it.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    clientBasedCORS: browserClientCors,
    features: providerFeatures(config),
    routes: KEYCLOAK_ROUTES,
    formats: { customizers: { jwt: keycloakAccessTokenClaims((sub) => users.accountOf(sub)) } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${input.prefix}/interaction/${interaction.uid}`,
    },
    // Refresh tokens for every client allowed the refresh_token grant, as Keycloak does (oidc-provider's
    // default needs offline_access, which it drops unless prompt=consent is requested).
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    loadExistingGrant,
    renderError: (ctx: KoaLikeContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
    ttl: providerTtl(config),
  });
  addKeycloakIdTokenClaims(provider);
  provider.use(unauthorizedClientAsKeycloak);
  return provider;
}

/**
 * Which origins may call the token, revocation and userinfo endpoints from a browser: those of a
 * public client's redirect URIs (oidc-provider's rule), with any port on a loopback host, as the
 * redirect URIs themselves match (RFC 8252 §7.3): the web app runs on http://localhost:PORT.
 */
function browserClientCors(
  _ctx: unknown,
  origin: string,
  client: { clientAuthMethod: string; redirectUris: string[] },
): boolean {
  if (client.clientAuthMethod !== 'none') return false;
  const key = loopbackOriginKey(origin);
  return key !== undefined && client.redirectUris.some((uri) => loopbackOriginKey(uri) === key);
}

/** The origin of `uri`, without the port for http on a loopback host; undefined when unparsable. */
function loopbackOriginKey(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const loopback = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return loopback ? `http://${url.hostname}` : url.origin;
}

/** The grant of a first-party client: its scopes without a consent page. Returns the grant's id. */
export async function firstPartyGrant(
  provider: Provider,
  clientId: string,
  accountId: string,
  existingId: string | undefined,
): Promise<string> {
  const existing = existingId ? await provider.Grant.find(existingId) : undefined;
  const grant = existing ?? new provider.Grant({ clientId, accountId });
  grant.addOIDCScope(FIRST_PARTY_SCOPES);
  grant.addResourceScope(REALM_RESOURCE, ACCESS_TOKEN_SCOPE);
  return grant.save();
}

/** The configured clients, as oidc-provider's client metadata. */
function providerClients(config: OidcConfig, secrets: ReadonlyMap<string, string> | undefined): object[] {
  return config.clients.map((c) => {
    const secret = c.confidential ? secrets?.get(c.clientId) : undefined;
    if (c.confidential && secret === undefined) throw new Error(`no secret for the confidential client ${c.clientId}`);
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
  });
}

/** What oidc-provider hands a revocation or introspection policy of the client and the token. */
interface PolicyParty {
  clientId: string;
  clientAuthMethod?: string;
}

/**
 * A client revokes only the tokens issued to it (RFC 7009 section 2.1), as Keycloak's
 * TokenRevocationEndpoint does (checkIssuedFor): another client's token is refused with 400
 * invalid_request "Unmatching clients" and stays valid. Explicit, where oidc-provider's default
 * would also print a notice on every revocation.
 */
function revocationAllowed(_ctx: unknown, client: PolicyParty, token: PolicyParty): boolean {
  if (token.clientId !== client.clientId) throw new errors.InvalidRequest('Unmatching clients');
  return true;
}

/**
 * A confidential client may introspect any token of the realm (Keycloak's use: a resource server
 * checking tokens); a public client, which proves nothing about itself, only its own.
 */
function introspectionAllowed(_ctx: unknown, client: PolicyParty, token: PolicyParty): boolean {
  return client.clientAuthMethod !== 'none' || token.clientId === client.clientId;
}

function providerFeatures(config: OidcConfig): Record<string, unknown> {
  return {
    devInteractions: { enabled: false },
    revocation: { enabled: true, allowedPolicy: revocationAllowed },
    // Keycloak lists it in discovery and serves it at …/token/introspect (for confidential clients).
    introspection: { enabled: true, allowedPolicy: introspectionAllowed },
    resourceIndicators: resourceIndicators(config.accessTokenTtlSeconds),
    deviceFlow: deviceFlowFeature(),
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx: KoaLikeContext, form: string) => {
        ctx.type = 'html';
        ctx.body = logoutPage(form, ctx.host);
      },
      postLogoutSuccessSource: (ctx: KoaLikeContext) => {
        ctx.type = 'html';
        ctx.body = signedOutPage();
      },
    },
  };
}

/** The device authorization grant (RFC 8628) with our own pages. */
function deviceFlowFeature(): Record<string, unknown> {
  return {
    enabled: true,
    charset: 'base-20',
    mask: '****-****',
    userCodeInputSource: (
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
    userCodeConfirmSource: (
      ctx: KoaLikeContext,
      form: string,
      client: { clientId: string; clientName?: string },
      _info: unknown,
      userCode: string,
    ) => {
      ctx.type = 'html';
      ctx.body = deviceConfirmPage(form, client.clientName ?? client.clientId, userCode);
    },
    successSource: (ctx: KoaLikeContext) => {
      ctx.type = 'html';
      ctx.body = deviceSuccessPage(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? 'The device');
    },
  };
}

/** `loadExistingGrant`: the session's grant, or a first-party one made without a consent page. */
async function loadExistingGrant(ctx: KoaLikeContext) {
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
}

function providerTtl(config: OidcConfig): Record<string, number> {
  return {
    AccessToken: config.accessTokenTtlSeconds,
    IdToken: config.idTokenTtlSeconds,
    RefreshToken: config.refreshTokenTtlSeconds,
    DeviceCode: config.deviceCodeTtlSeconds,
    Session: config.sessionTtlSeconds,
    Grant: config.refreshTokenTtlSeconds,
    Interaction: INTERACTION_TTL_S,
    AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
  };
}
