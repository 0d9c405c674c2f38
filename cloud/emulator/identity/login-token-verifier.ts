import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { CognitoError, MESSAGES } from './cognito-errors.js';

/** Timeout for fetching an issuer's discovery document and JWKS (milliseconds). */
export const JWKS_FETCH_TIMEOUT_MS = 5_000;
/** Tolerated clock difference between the provider and the pool (seconds). */
export const CLOCK_TOLERANCE_S = 30;

export interface TrustedProvider {
  /** Issuer URL exactly as in the id_token's `iss`. */
  issuer: string;
  /** The id_token's `aud` (or `azp`) must be one of these. */
  clientIds: readonly string[];
}

export interface VerifiedLogin {
  /** The Logins key (issuer without scheme), Cognito's "provider name". */
  providerName: string;
  issuer: string;
  sub: string;
  audience: string;
}

/** The Logins key Cognito expects for an OIDC issuer: the issuer URL without its scheme. */
export function providerNameFor(issuer: string): string {
  return issuer.replace(/^https?:\/\//, '');
}

/**
 * Verifies the tokens given in Cognito's `Logins` map as AWS documents it for OIDC providers: issuer
 * equals the key, RS256 signature against the issuer's JWKS (fetched over HTTP from its discovery
 * document, cached), `azp` (or, without it, `aud`) among the pool's client ids, not expired (by the
 * injected clock). An ID token or a JWT access token both pass when they meet that.
 */
export class LoginTokenVerifier {
  private readonly byName = new Map<string, TrustedProvider>();
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    providers: readonly TrustedProvider[],
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const p of providers) this.byName.set(providerNameFor(p.issuer), p);
  }

  isSupported(providerName: string): boolean {
    return this.byName.has(providerName);
  }

  async verify(providerName: string, token: string): Promise<VerifiedLogin> {
    const provider = this.byName.get(providerName);
    if (!provider) throw new CognitoError('NotAuthorizedException', MESSAGES.unsupportedProvider);
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new CognitoError('NotAuthorizedException', MESSAGES.malformed);
    }
    if (claims.iss !== provider.issuer) throw new CognitoError('NotAuthorizedException', MESSAGES.issuerMismatch);
    const keys = await this.keysFor(provider.issuer);
    const currentDate = this.now();
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: provider.issuer,
        algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'],
        currentDate,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp'],
      });
      // AWS, "Setting up an OIDC provider as an identity pool IdP" (Cognito Developer Guide,
      // https://docs.aws.amazon.com/cognito/latest/developerguide/open-id.html), "Validating an
      // OpenID Connect token": "If the azp parameter is present, check this value against listed
      // client IDs in your OIDC provider. If the azp parameter isn't present, check the aud
      // parameter". Nothing there asks for an ID token: a Keycloak access token (azp = the
      // client, aud = account) passes, which is what the seed's app sends.
      const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
      const candidates = typeof payload.azp === 'string' ? [payload.azp] : audiences;
      const audience = candidates.find((a) => provider.clientIds.includes(a));
      if (!audience) throw new CognitoError('NotAuthorizedException', MESSAGES.audience);
      return { providerName, issuer: provider.issuer, sub: String(payload.sub), audience };
    } catch (err) {
      if (err instanceof CognitoError) throw err;
      if (err instanceof joseErrors.JWTExpired) {
        throw new CognitoError(
          'NotAuthorizedException',
          MESSAGES.expired(Number(claims.exp), Math.floor(currentDate.getTime() / 1000)),
        );
      }
      if (err instanceof joseErrors.JWKSTimeout || (err instanceof Error && err.name === 'TypeError')) {
        throw new CognitoError('ExternalServiceException', `Could not fetch the signing keys of ${provider.issuer}`);
      }
      throw new CognitoError('NotAuthorizedException', MESSAGES.badSignature);
    }
  }

  private async keysFor(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const cached = this.jwks.get(issuer);
    if (cached) return cached;
    let jwksUri: string;
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const discovery = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
      if (typeof discovery.jwks_uri !== 'string' || discovery.issuer !== issuer)
        throw new Error('bad discovery document');
      jwksUri = discovery.jwks_uri;
    } catch {
      throw new CognitoError('ExternalServiceException', `Could not fetch the OpenID configuration of ${issuer}`);
    }
    const set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: JWKS_FETCH_TIMEOUT_MS });
    this.jwks.set(issuer, set);
    return set;
  }
}
