import type { PolicyDocument, PolicyStatement } from '../contracts/index.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from '../contracts/index.js';
import { ConfigReader, join } from './validate.js';

/** A stored password: scrypt$N$r$p$salt$hash, as identity/passwords.ts writes and checks it. */
export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/;

/**
 * The emulator's configuration file (JSON). Every field is optional; what is missing takes the
 * default below. `npx tp-cloud --config FILE` reads it; `startEmulator({ config })` takes the
 * parsed form. See cloud/README.md, "The configuration file".
 */

export const DEFAULT_REALM = 'fleet';
export const DEFAULT_CLIENT_ID = 'provisioning-app';
/**
 * The seed's app (`mobile_claim.py`): a confidential client allowed the password grant, as a
 * Keycloak client with "Client authentication" on and "Direct access grants" enabled. Its secret is
 * generated at first start into `<dataDir>/identity/client-secrets.json` (0600), never configured.
 */
export const SEED_CLIENT_ID = 'mobile-claim';
/**
 * The web app (apps/web, served by `npx tp-cloud` on http://localhost:4583): a public client, its
 * redirect URI the app's own page, any port on loopback; its origin may call the token endpoint.
 */
export const WEB_CLIENT_ID = 'provisioning-web';
export const WEB_REDIRECT_URIS = ['http://localhost/', 'http://127.0.0.1/'];
export const DEFAULT_TEMPLATE_NAME = 'TrustedUserProvisioningTemplate';
/** Loopback redirect for the phone app; any port is accepted (RFC 8252 §7.3). */
export const DEFAULT_REDIRECT_URIS = ['http://127.0.0.1/callback', 'http://localhost/callback'];
export const DEMO_USERNAME = 'demo';
/** The demo user's password is in plaintext on purpose: it is printed and written to cloud.json. */
export const DEMO_PASSWORD = 'demo-password';
export const DEFAULT_IDENTITY_POOL_ID = `${DEFAULT_REGION}:6f0d3c2e-8b1a-4c57-9e2f-1d4a5b6c7e80`;
export const DEFAULT_AUTHENTICATED_ROLE_NAME = 'TrustedUserProvisioningRole';

/** Token lifetimes in seconds (Keycloak's defaults are 300 s access tokens; a phone app needs a bit more). */
export const DEFAULT_ID_TOKEN_TTL_S = 3600;
export const DEFAULT_ACCESS_TOKEN_TTL_S = 3600;
export const DEFAULT_REFRESH_TOKEN_TTL_S = 14 * 24 * 3600;
export const DEFAULT_DEVICE_CODE_TTL_S = 600;
export const DEFAULT_SESSION_TTL_S = 24 * 3600;
/** Cognito's GetCredentialsForIdentity returns credentials valid for one hour. */
export const DEFAULT_CREDENTIALS_TTL_S = 3600;
export const MAX_TTL_S = 365 * 24 * 3600;

export interface OidcClientConfig {
  clientId: string;
  clientName?: string;
  /** Exact redirect URIs; for http://127.0.0.1, http://localhost and http://[::1] any port matches. */
  redirectUris: string[];
  /** Keycloak's "Client authentication": a secret (generated, kept in the data dir) at the token endpoint. */
  confidential?: boolean;
  /** Keycloak's "Direct access grants": the resource-owner password grant (grant_type=password). */
  directAccessGrants?: boolean;
}

export interface OidcUserConfig {
  username: string;
  /** The stable subject identifier; defaults to the username. */
  sub: string;
  /** `scrypt$N$r$p$salt$hash` (see `npx tp-cloud hash-password`). */
  passwordHash?: string;
  /** Plaintext: allowed for demo users only; loading it yields a warning. */
  password?: string;
  email?: string;
  name?: string;
}

export interface OidcConfig {
  realm: string;
  clients: OidcClientConfig[];
  users: OidcUserConfig[];
  idTokenTtlSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  deviceCodeTtlSeconds: number;
  sessionTtlSeconds: number;
}

export interface RoleConfig {
  roleArn: string;
  policies: PolicyDocument[];
}

export interface IdentityProviderConfig {
  /** Issuer URL; omitted means the emulator's own OIDC provider. */
  issuer?: string;
  clientIds: string[];
}

export interface IdentityPoolConfig {
  identityPoolId: string;
  identityPoolName: string;
  allowUnauthenticatedIdentities: boolean;
  providers: IdentityProviderConfig[];
  authenticatedRole: RoleConfig;
  unauthenticatedRole?: RoleConfig;
}

export interface CognitoConfig {
  identityPool: IdentityPoolConfig;
  credentialsTtlSeconds: number;
}

export interface PortsConfig {
  iot?: number;
  mqtt?: number;
  oidc?: number;
  cognito?: number;
}

export interface EmulatorConfig {
  region: string;
  accountId: string;
  host?: string;
  ports?: PortsConfig;
  provisioningTemplateName: string;
  oidc: OidcConfig;
  cognito: CognitoConfig;
}

export interface ParsedConfig {
  config: EmulatorConfig;
  /** Non-fatal findings (e.g. plaintext passwords) to show the operator. */
  warnings: string[];
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ACCOUNT_PATTERN = /^\d{12}$/;
/** Cognito: IdentityPoolId is `region:uuid` (pattern [\w-]+:[0-9a-f-]+, at most 55 characters). */
export const IDENTITY_POOL_ID_PATTERN = /^[\w-]+:[0-9a-f-]+$/;
const REALM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
const USERNAME_PATTERN = /^[\x21-\x7e]{1,128}$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const TEMPLATE_NAME_PATTERN = /^[0-9A-Za-z_-]{1,36}$/;

export function defaultAuthenticatedPolicy(region: string, accountId: string, templateName: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CreateClaimForTheTrustedUserTemplate',
        Effect: 'Allow',
        Action: ['iot:CreateProvisioningClaim'],
        Resource: [`arn:aws:iot:${region}:${accountId}:provisioningtemplate/${templateName}`],
      },
    ],
  };
}

/** The built-in configuration: one realm, one public client, one demo user, one identity pool. */
export function defaultConfig(): EmulatorConfig {
  return parseConfig({}).config;
}

/** Validates a parsed JSON value and fills in defaults. Throws ProvisioningError CONFIG_INVALID naming the field. */
export function parseConfig(raw: unknown, source?: string): ParsedConfig {
  const r = new ConfigReader(source);
  const warnings: string[] = [];
  const root = r.object(raw, '(root)');
  r.onlyKeys(root, '', [
    '$comment',
    'region',
    'accountId',
    'host',
    'ports',
    'provisioningTemplateName',
    'oidc',
    'cognito',
  ]);

  const region =
    root.region === undefined
      ? DEFAULT_REGION
      : r.string(root.region, 'region', { pattern: REGION_PATTERN, patternText: 'an AWS region such as us-east-1' });
  const accountId =
    root.accountId === undefined
      ? DEFAULT_ACCOUNT_ID
      : r.string(root.accountId, 'accountId', { pattern: ACCOUNT_PATTERN, patternText: '12 digits' });
  const host = r.optionalString(root.host, 'host');
  const ports = root.ports === undefined ? undefined : parsePorts(r, root.ports);
  const provisioningTemplateName =
    root.provisioningTemplateName === undefined
      ? DEFAULT_TEMPLATE_NAME
      : r.string(root.provisioningTemplateName, 'provisioningTemplateName', {
          pattern: TEMPLATE_NAME_PATTERN,
          patternText: '[0-9A-Za-z_-]{1,36}',
        });

  const oidc = parseOidc(r, root.oidc ?? {}, warnings);
  const cognito = parseCognito(r, root.cognito ?? {}, { region, accountId, provisioningTemplateName, oidc });
  const config: EmulatorConfig = { region, accountId, provisioningTemplateName, oidc, cognito };
  if (host !== undefined) config.host = host;
  if (ports !== undefined) config.ports = ports;
  return { config, warnings };
}

function parsePorts(r: ConfigReader, value: unknown): PortsConfig {
  const obj = r.object(value, 'ports');
  r.onlyKeys(obj, 'ports', ['iot', 'mqtt', 'oidc', 'cognito']);
  const ports: PortsConfig = {};
  for (const key of ['iot', 'mqtt', 'oidc', 'cognito'] as const) {
    if (obj[key] !== undefined) ports[key] = r.port(obj[key], join('ports', key), 0);
  }
  return ports;
}

function parseOidc(r: ConfigReader, value: unknown, warnings: string[]): OidcConfig {
  const obj = r.object(value, 'oidc');
  r.onlyKeys(obj, 'oidc', [
    'realm',
    'clients',
    'users',
    'idTokenTtlSeconds',
    'accessTokenTtlSeconds',
    'refreshTokenTtlSeconds',
    'deviceCodeTtlSeconds',
    'sessionTtlSeconds',
  ]);
  const realm =
    obj.realm === undefined
      ? DEFAULT_REALM
      : r.string(obj.realm, 'oidc.realm', { pattern: REALM_PATTERN, patternText: '[A-Za-z0-9_-]{1,64}' });
  const clients = parseClients(r, obj.clients);
  const users = parseUsers(r, obj.users, warnings);
  return { realm, clients, users, ...parseOidcTtls(r, obj) };
}

/** The realm's clients; by default the phone app (public) and the seed's password-grant client. */
function parseClients(r: ConfigReader, value: unknown): OidcClientConfig[] {
  const clients: OidcClientConfig[] =
    value === undefined
      ? [
          { clientId: DEFAULT_CLIENT_ID, clientName: 'Provisioning app', redirectUris: [...DEFAULT_REDIRECT_URIS] },
          {
            clientId: SEED_CLIENT_ID,
            clientName: 'Mobile claim (password grant)',
            redirectUris: [...DEFAULT_REDIRECT_URIS],
            confidential: true,
            directAccessGrants: true,
          },
          { clientId: WEB_CLIENT_ID, clientName: 'Provisioning web app', redirectUris: [...WEB_REDIRECT_URIS] },
        ]
      : r.array(value, 'oidc.clients', { minItems: 1 }).map((c, i) => parseClient(r, c, join('oidc.clients', i)));
  uniqueBy(
    r,
    clients.map((c) => c.clientId),
    'oidc.clients',
    'clientId',
  );
  return clients;
}

/** The realm's users; by default the demo user (plaintext password, on purpose). */
function parseUsers(r: ConfigReader, value: unknown, warnings: string[]): OidcUserConfig[] {
  const users: OidcUserConfig[] =
    value === undefined
      ? [
          {
            username: DEMO_USERNAME,
            sub: DEMO_USERNAME,
            password: DEMO_PASSWORD,
            email: 'demo@example.com',
            name: 'Demo User',
          },
        ]
      : r.array(value, 'oidc.users').map((u, i) => parseUser(r, u, join('oidc.users', i), warnings));
  uniqueBy(
    r,
    users.map((u) => u.username),
    'oidc.users',
    'username',
  );
  uniqueBy(
    r,
    users.map((u) => u.sub),
    'oidc.users',
    'sub',
  );
  return users;
}

type OidcTtls = Pick<
  OidcConfig,
  | 'idTokenTtlSeconds'
  | 'accessTokenTtlSeconds'
  | 'refreshTokenTtlSeconds'
  | 'deviceCodeTtlSeconds'
  | 'sessionTtlSeconds'
>;

/** The token and session lifetimes, each 1 s to {@link MAX_TTL_S}, checked in this order. */
const OIDC_TTL_DEFAULTS: ReadonlyArray<[keyof OidcTtls, number]> = [
  ['idTokenTtlSeconds', DEFAULT_ID_TOKEN_TTL_S],
  ['accessTokenTtlSeconds', DEFAULT_ACCESS_TOKEN_TTL_S],
  ['refreshTokenTtlSeconds', DEFAULT_REFRESH_TOKEN_TTL_S],
  ['deviceCodeTtlSeconds', DEFAULT_DEVICE_CODE_TTL_S],
  ['sessionTtlSeconds', DEFAULT_SESSION_TTL_S],
];

function parseOidcTtls(r: ConfigReader, obj: Record<string, unknown>): OidcTtls {
  const ttls = {} as OidcTtls;
  for (const [key, fallback] of OIDC_TTL_DEFAULTS)
    ttls[key] = r.integer(obj[key], join('oidc', key), fallback, 1, MAX_TTL_S);
  return ttls;
}

function parseClient(r: ConfigReader, value: unknown, path: string): OidcClientConfig {
  const obj = r.object(value, path);
  r.onlyKeys(obj, path, ['clientId', 'clientName', 'redirectUris', 'confidential', 'directAccessGrants']);
  const clientId = r.string(obj.clientId, join(path, 'clientId'), {
    pattern: CLIENT_ID_PATTERN,
    patternText: 'printable ASCII, 1-128 characters',
  });
  const redirectUris = r
    .array(obj.redirectUris ?? DEFAULT_REDIRECT_URIS, join(path, 'redirectUris'), { minItems: 1 })
    .map((u, i) => {
      const p = join(join(path, 'redirectUris'), i);
      const text = r.string(u, p);
      let parsed: URL;
      try {
        parsed = new URL(text);
      } catch {
        return r.fail(p, 'must be a URL');
      }
      if (parsed.hash) r.fail(p, 'must not contain a fragment');
      if (parsed.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
        r.fail(p, 'http redirect URIs must use a loopback host (127.0.0.1, localhost or [::1])');
      }
      return text;
    });
  const client: OidcClientConfig = { clientId, redirectUris };
  const clientName = r.optionalString(obj.clientName, join(path, 'clientName'), { maxLength: 200 });
  if (clientName !== undefined) client.clientName = clientName;
  for (const flag of ['confidential', 'directAccessGrants'] as const) {
    if (obj[flag] === undefined) continue;
    if (typeof obj[flag] !== 'boolean') r.fail(join(path, flag), 'must be true or false');
    client[flag] = obj[flag];
  }
  return client;
}

function parseUser(r: ConfigReader, value: unknown, path: string, warnings: string[]): OidcUserConfig {
  const obj = r.object(value, path);
  r.onlyKeys(obj, path, ['username', 'sub', 'password', 'passwordHash', 'email', 'name']);
  const username = r.string(obj.username, join(path, 'username'), {
    pattern: USERNAME_PATTERN,
    patternText: 'printable ASCII without spaces, 1-128 characters',
  });
  const sub = obj.sub === undefined ? username : r.string(obj.sub, join(path, 'sub'), { maxLength: 255 });
  const user: OidcUserConfig = { username, sub };
  if (obj.passwordHash !== undefined) {
    user.passwordHash = r.string(obj.passwordHash, join(path, 'passwordHash'), {
      pattern: PASSWORD_HASH_PATTERN,
      patternText: 'scrypt$N$r$p$salt$hash (npx tp-cloud hash-password)',
    });
  }
  if (obj.password !== undefined) {
    user.password = r.string(obj.password, join(path, 'password'));
    warnings.push(`${path}.password: plaintext password for user "${username}": use passwordHash outside demos`);
  }
  if (user.password === undefined && user.passwordHash === undefined)
    r.fail(join(path, 'passwordHash'), 'is required (or password, for demo users only)');
  if (user.password !== undefined && user.passwordHash !== undefined)
    r.fail(join(path, 'password'), 'give either password or passwordHash, not both');
  const email = r.optionalString(obj.email, join(path, 'email'), {
    pattern: /^[^\s@]+@[^\s@]+$/,
    patternText: 'an e-mail address',
  });
  if (email !== undefined) user.email = email;
  const name = r.optionalString(obj.name, join(path, 'name'), { maxLength: 200 });
  if (name !== undefined) user.name = name;
  return user;
}

interface CognitoDefaults {
  region: string;
  accountId: string;
  provisioningTemplateName: string;
  oidc: OidcConfig;
}

function parseCognito(r: ConfigReader, value: unknown, ctx: CognitoDefaults): CognitoConfig {
  const obj = r.object(value, 'cognito');
  r.onlyKeys(obj, 'cognito', ['identityPool', 'credentialsTtlSeconds']);
  return {
    identityPool: parseIdentityPool(r, obj.identityPool ?? {}, ctx),
    credentialsTtlSeconds: r.integer(
      obj.credentialsTtlSeconds,
      'cognito.credentialsTtlSeconds',
      DEFAULT_CREDENTIALS_TTL_S,
      60,
      12 * 3600,
    ),
  };
}

function parseIdentityPool(r: ConfigReader, value: unknown, ctx: CognitoDefaults): IdentityPoolConfig {
  const p = 'cognito.identityPool';
  const pool = r.object(value, p);
  r.onlyKeys(pool, p, [
    'identityPoolId',
    'identityPoolName',
    'allowUnauthenticatedIdentities',
    'providers',
    'authenticatedRole',
    'unauthenticatedRole',
  ]);
  const identityPoolId =
    pool.identityPoolId === undefined
      ? `${ctx.region}:${DEFAULT_IDENTITY_POOL_ID.split(':')[1]}`
      : r.string(pool.identityPoolId, join(p, 'identityPoolId'), {
          pattern: IDENTITY_POOL_ID_PATTERN,
          patternText: 'region:uuid',
          maxLength: 55,
        });
  const identityPoolName =
    pool.identityPoolName === undefined
      ? 'TrustedUserPool'
      : r.string(pool.identityPoolName, join(p, 'identityPoolName'), {
          pattern: /^[\w ]+$/,
          patternText: '[\\w ]+',
          maxLength: 128,
        });
  const allowUnauthenticatedIdentities = r.boolean(
    pool.allowUnauthenticatedIdentities,
    join(p, 'allowUnauthenticatedIdentities'),
    false,
  );
  const identityPool: IdentityPoolConfig = {
    identityPoolId,
    identityPoolName,
    allowUnauthenticatedIdentities,
    providers: parseProviders(r, pool.providers, ctx.oidc),
    authenticatedRole: parseAuthenticatedRole(r, pool.authenticatedRole, ctx),
  };
  if (pool.unauthenticatedRole !== undefined) {
    identityPool.unauthenticatedRole = parseRole(r, pool.unauthenticatedRole, join(p, 'unauthenticatedRole'));
  }
  if (allowUnauthenticatedIdentities && !identityPool.unauthenticatedRole) {
    r.fail(join(p, 'unauthenticatedRole'), 'is required when allowUnauthenticatedIdentities is true');
  }
  return identityPool;
}

/** The pool's identity providers; by default the emulator's own issuer with every configured client. */
function parseProviders(r: ConfigReader, value: unknown, oidc: OidcConfig): IdentityProviderConfig[] {
  const path = 'cognito.identityPool.providers';
  if (value === undefined) return [{ clientIds: oidc.clients.map((c) => c.clientId) }];
  return r.array(value, path, { minItems: 1 }).map((v, i) => {
    const pp = join(path, i);
    const o = r.object(v, pp);
    r.onlyKeys(o, pp, ['issuer', 'clientIds']);
    const provider: IdentityProviderConfig = {
      clientIds: r
        .array(o.clientIds, join(pp, 'clientIds'), { minItems: 1 })
        .map((c, j) => r.string(c, join(join(pp, 'clientIds'), j))),
    };
    if (o.issuer !== undefined) provider.issuer = r.url(o.issuer, join(pp, 'issuer'));
    return provider;
  });
}

/** By default the seed's role: CreateProvisioningClaim on the provisioning template only. */
function parseAuthenticatedRole(r: ConfigReader, value: unknown, ctx: CognitoDefaults): RoleConfig {
  if (value !== undefined) return parseRole(r, value, 'cognito.identityPool.authenticatedRole');
  return {
    roleArn: `arn:aws:iam::${ctx.accountId}:role/${DEFAULT_AUTHENTICATED_ROLE_NAME}`,
    policies: [defaultAuthenticatedPolicy(ctx.region, ctx.accountId, ctx.provisioningTemplateName)],
  };
}

function parseRole(r: ConfigReader, value: unknown, path: string): RoleConfig {
  const obj = r.object(value, path);
  r.onlyKeys(obj, path, ['roleArn', 'policies']);
  return {
    roleArn: r.string(obj.roleArn, join(path, 'roleArn'), {
      pattern: ROLE_ARN_PATTERN,
      patternText: 'arn:aws:iam::ACCOUNT:role/NAME',
    }),
    policies: r
      .array(obj.policies, join(path, 'policies'), { minItems: 1 })
      .map((d, i) => parsePolicyDocument(r, d, join(join(path, 'policies'), i))),
  };
}

export function parsePolicyDocument(r: ConfigReader, value: unknown, path: string): PolicyDocument {
  const obj = r.object(value, path);
  r.onlyKeys(obj, path, ['Version', 'Statement', 'Id']);
  const version = r.optionalString(obj.Version, join(path, 'Version'), {
    pattern: /^(2012-10-17|2008-10-17)$/,
    patternText: '2012-10-17',
  });
  const rawStatements = Array.isArray(obj.Statement)
    ? obj.Statement
    : [r.object(obj.Statement, join(path, 'Statement'))];
  if (rawStatements.length === 0) r.fail(join(path, 'Statement'), 'must have at least 1 item(s)');
  const statements: PolicyStatement[] = rawStatements.map((s, i) => {
    const sp = Array.isArray(obj.Statement) ? join(join(path, 'Statement'), i) : join(path, 'Statement');
    const so = r.object(s, sp);
    r.onlyKeys(so, sp, ['Sid', 'Effect', 'Action', 'Resource', 'Condition']);
    if (so.Effect !== 'Allow' && so.Effect !== 'Deny') r.fail(join(sp, 'Effect'), 'must be "Allow" or "Deny"');
    const stmt: PolicyStatement = {
      Effect: so.Effect,
      Action: stringOrList(r, so.Action, join(sp, 'Action')),
      Resource: stringOrList(r, so.Resource, join(sp, 'Resource')),
    };
    const sid = r.optionalString(so.Sid, join(sp, 'Sid'));
    if (sid !== undefined) stmt.Sid = sid;
    if (so.Condition !== undefined)
      stmt.Condition = r.object(so.Condition, join(sp, 'Condition')) as NonNullable<PolicyStatement['Condition']>;
    return stmt;
  });
  const doc: PolicyDocument = { Statement: statements };
  if (version !== undefined) doc.Version = version;
  return doc;
}

function stringOrList(r: ConfigReader, value: unknown, path: string): string | string[] {
  if (typeof value === 'string') return r.string(value, path);
  return r.array(value, path, { minItems: 1 }).map((v, i) => r.string(v, join(path, i)));
}

function uniqueBy(r: ConfigReader, values: string[], path: string, field: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) r.fail(join(join(path, i), field), `duplicate value "${v}"`);
    seen.add(v);
  });
}
