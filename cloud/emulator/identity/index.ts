import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CredentialStore } from '../contracts/index.js';
import type { EmulatorConfig } from '../config/index.js';
import { loadOrCreateClientSecrets } from './client-secrets.js';
import { startCognitoServer } from './cognito-server.js';
import { LoginThrottle } from './login-throttle.js';
import { loadOrCreateOidcKeys } from './oidc-keys.js';
import { startOidcServer } from './oidc-server.js';

export { CognitoError } from './cognito-errors.js';
export { providerNameFor } from './login-token-verifier.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { KEYCLOAK_BRUTE_FORCE_DEFAULTS, LoginThrottle } from './login-throttle.js';

/** How long a writer waits for the identity database's lock (milliseconds). */
export const IDENTITY_DB_BUSY_TIMEOUT_MS = 5000;

export interface IdentityOptions {
  /** Keys and the identity database (`identity.sqlite`) live here. */
  dataDir: string;
  config: EmulatorConfig;
  credentials: CredentialStore;
  host: string;
  ports: { oidc: number; cognito: number };
  /** Clock for the identity pool's token checks and credential expiration, and the login page's lockouts. */
  now?: () => Date;
}

export interface RunningIdentity {
  /** The OIDC issuer, e.g. http://127.0.0.1:4511/realms/fleet. */
  issuer: string;
  oidcPort: number;
  /** The Cognito Identity endpoint (give it to the SDK as `endpoint`). */
  cognitoEndpoint: string;
  cognitoPort: number;
  /** The file holding the confidential clients' secrets (0600), when there are any. */
  clientSecretsPath?: string;
  close(): Promise<void>;
}

/** Starts the trusted user's identity side: the OIDC provider and the Cognito identity pool that trusts it. */
export async function startIdentity(options: IdentityOptions): Promise<RunningIdentity> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const dbPath = join(options.dataDir, 'identity.sqlite');
  const db = new Database(dbPath);
  // Refresh tokens and sessions: owner-only.
  chmodSync(dbPath, 0o600);
  const closers: Array<() => Promise<void> | void> = [
    () => {
      db.close();
    },
  ];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close();
  };
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${IDENTITY_DB_BUSY_TIMEOUT_MS}`);
    const oidcKeys = await loadOrCreateOidcKeys(options.dataDir, 'oidc-keys.json');
    const cognitoKeys = await loadOrCreateOidcKeys(options.dataDir, 'cognito-keys.json');
    const confidential = options.config.oidc.clients.filter((c) => c.confidential).map((c) => c.clientId);
    const secrets = confidential.length > 0 ? loadOrCreateClientSecrets(options.dataDir, confidential) : undefined;
    const oidc = await startOidcServer({
      db,
      keys: oidcKeys,
      config: options.config.oidc,
      host: options.host,
      port: options.ports.oidc,
      loginThrottle: new LoginThrottle({ now: () => (options.now?.() ?? new Date()).getTime() }),
      ...(secrets ? { clientSecrets: secrets.secrets } : {}),
    });
    closers.push(() => oidc.close());
    const pool = options.config.cognito.identityPool;
    const cognito = await startCognitoServer({
      db,
      config: options.config.cognito,
      providers: pool.providers.map((p) => ({ issuer: p.issuer ?? oidc.issuer, clientIds: p.clientIds })),
      credentials: options.credentials,
      region: options.config.region,
      accountId: options.config.accountId,
      signingKey: cognitoKeys.jwks.keys[0]!,
      host: options.host,
      port: options.ports.cognito,
      ...(options.now ? { now: options.now } : {}),
    });
    closers.push(() => cognito.close());
    return {
      issuer: oidc.issuer,
      oidcPort: oidc.port,
      cognitoEndpoint: cognito.url,
      cognitoPort: cognito.port,
      ...(secrets ? { clientSecretsPath: secrets.path } : {}),
      close: closeAll,
    };
  } catch (err) {
    // Undo what did start. The caller gets the start's error; a failure to undo is logged, not put in its place.
    await closeAll().catch((closeErr: unknown) =>
      console.error('identity emulator: closing after a failed start failed:', closeErr),
    );
    throw err;
  }
}
