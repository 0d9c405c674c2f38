/**
 * The identity pool's operations (GetId, GetCredentialsForIdentity, GetOpenIdToken) on parsed
 * awsJson1_1 bodies; cognito-server.ts is the HTTP around them.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { CredentialStore } from '../contracts/index.js';
import type { CognitoConfig } from '../config/index.js';
import { IDENTITY_POOL_ID_PATTERN } from '../config/index.js';
import { CognitoError, MESSAGES } from './cognito-errors.js';
import { readLogins, requireString } from './cognito-params.js';
import type { IdentityRecord, IdentityStore } from './identity-store.js';
import type { LoginTokenVerifier, VerifiedLogin } from './login-token-verifier.js';
import { mintTemporaryCredentials } from './temporary-credentials.js';

/** GetOpenIdToken's token lifetime (seconds); Cognito's default is 15 minutes. */
export const OPEN_ID_TOKEN_TTL_S = 15 * 60;

export type Json = Record<string, unknown>;

export interface IdentityPoolDeps {
  config: CognitoConfig;
  identities: IdentityStore;
  verifier: LoginTokenVerifier;
  credentials: CredentialStore;
  region: string;
  accountId: string;
  /** The `iss` of GetOpenIdToken's tokens: the Cognito endpoint. */
  issuer: string;
  /** Signs GetOpenIdToken's tokens (RS256). */
  privateKey: CryptoKey | Uint8Array;
  /** The public half of the signing key (its `kid` goes into the token header). */
  publicJwk: JWK;
  now: () => Date;
}

export class IdentityPool {
  constructor(private readonly deps: IdentityPoolDeps) {}

  private get pool(): CognitoConfig['identityPool'] {
    return this.deps.config.identityPool;
  }

  /** Runs one operation by its X-Amz-Target name. */
  async run(operation: string, body: Json): Promise<Json> {
    switch (operation) {
      case 'GetId':
        return this.getId(body);
      case 'GetCredentialsForIdentity':
        return this.getCredentialsForIdentity(body);
      case 'GetOpenIdToken':
        return this.getOpenIdToken(body);
      default:
        throw new CognitoError('UnknownOperationException', `Operation ${operation} is not supported by the emulator.`);
    }
  }

  async getId(body: Json): Promise<Json> {
    const { identities, region } = this.deps;
    const poolId = this.requirePoolId(body.IdentityPoolId);
    const logins = readLogins(body.Logins);
    if (Object.keys(logins).length === 0) {
      if (!this.pool.allowUnauthenticatedIdentities)
        throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
      return { IdentityId: identities.createUnauthenticated(poolId, region).identityId };
    }
    const [first] = await this.verifyLogins(logins);
    if (first === undefined) throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
    const identity = identities.forLogin(poolId, region, first.providerName, first.sub);
    return { IdentityId: identity.identityId };
  }

  async getCredentialsForIdentity(body: Json): Promise<Json> {
    if (body.CustomRoleArn !== undefined) {
      throw new CognitoError(
        'InvalidParameterException',
        'CustomRoleArn is not supported: the pool has no role rules.',
      );
    }
    const { identity } = await this.authorizeIdentity(body);
    const role = identity.providerName === null ? this.pool.unauthenticatedRole : this.pool.authenticatedRole;
    if (!role) throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
    const expiration = new Date(this.deps.now().getTime() + this.deps.config.credentialsTtlSeconds * 1000);
    const record = mintTemporaryCredentials({
      accountId: this.deps.accountId,
      roleArn: role.roleArn,
      policies: role.policies,
      expiration,
    });
    this.deps.credentials.put(record);
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

  async getOpenIdToken(body: Json): Promise<Json> {
    const { identity, logins } = await this.authorizeIdentity(body);
    const issuedAt = Math.floor(this.deps.now().getTime() / 1000);
    const amr =
      identity.providerName === null
        ? ['unauthenticated']
        : ['authenticated', identity.providerName, ...logins.map((l) => `${l.providerName}:${l.audience}:${l.sub}`)];
    const token = await new SignJWT({ amr })
      .setProtectedHeader({ alg: 'RS256', kid: this.deps.publicJwk.kid ?? 'cognito', typ: 'JWT' })
      .setIssuer(this.deps.issuer)
      .setSubject(identity.identityId)
      .setAudience(this.pool.identityPoolId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + OPEN_ID_TOKEN_TTL_S)
      .setJti(randomUUID())
      .sign(this.deps.privateKey);
    return { IdentityId: identity.identityId, Token: token };
  }

  /** Finds the identity and checks the Logins prove it (or that it may be used unauthenticated). */
  private async authorizeIdentity(body: Json): Promise<{ identity: IdentityRecord; logins: VerifiedLogin[] }> {
    const identityId = requireString(body.IdentityId, 'identityId', /^[\w-]+:[0-9a-f-]+$/, 55);
    const identity = this.deps.identities.find(identityId);
    if (!identity || identity.poolId !== this.pool.identityPoolId)
      throw new CognitoError('ResourceNotFoundException', MESSAGES.identityNotFound(identityId));
    const logins = readLogins(body.Logins);
    if (identity.providerName === null) {
      if (!this.pool.allowUnauthenticatedIdentities)
        throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
      if (Object.keys(logins).length > 0) throw new CognitoError('NotAuthorizedException', MESSAGES.loginsMismatch);
      return { identity, logins: [] };
    }
    if (Object.keys(logins).length === 0) throw new CognitoError('NotAuthorizedException', MESSAGES.unauthenticated);
    const verified = await this.verifyLogins(logins);
    if (!verified.some((v) => v.providerName === identity.providerName && v.sub === identity.sub)) {
      throw new CognitoError('NotAuthorizedException', MESSAGES.loginsMismatch);
    }
    return { identity, logins: verified };
  }

  private async verifyLogins(logins: Record<string, string>): Promise<VerifiedLogin[]> {
    const verified: VerifiedLogin[] = [];
    for (const [name, token] of Object.entries(logins)) verified.push(await this.deps.verifier.verify(name, token));
    return verified;
  }

  private requirePoolId(value: unknown): string {
    const poolId = requireString(value, 'identityPoolId', IDENTITY_POOL_ID_PATTERN, 55);
    if (poolId !== this.pool.identityPoolId)
      throw new CognitoError('ResourceNotFoundException', MESSAGES.poolNotFound(poolId));
    return poolId;
  }
}
