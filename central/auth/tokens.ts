import type * as client from 'openid-client';
import { ProvisioningError } from '../../protocol/index.js';

/** What is kept of a login between runs (the token cache file). */
export interface StoredTokens {
  version: 1;
  issuer: string;
  clientId: string;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** When the ID or access token (whichever is first) expires, ms since the epoch. */
  expiresAt: number;
  /** The user: `sub` and, where the provider gives it, `preferred_username`. */
  subject: string;
  username?: string;
}

type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/** Builds the cache record from a token response; a refresh response may omit the refresh token. */
export function storedTokensFrom(
  response: TokenResponse,
  issuer: string,
  clientId: string,
  nowMs: number,
  previous?: StoredTokens,
): StoredTokens {
  const claims = response.claims();
  const idToken = response.id_token ?? previous?.idToken;
  if (!idToken || !claims) {
    throw new ProvisioningError('LOGIN_FAILED', {
      detail: 'the provider returned no ID token (is the openid scope granted?)',
    });
  }
  const idExpiry = claims.exp * 1000;
  const expiresIn = response.expiresIn();
  const accessExpiry = expiresIn !== undefined ? nowMs + expiresIn * 1000 : idExpiry;
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  const username = typeof claims.preferred_username === 'string' ? claims.preferred_username : undefined;
  return {
    version: 1,
    issuer,
    clientId,
    idToken,
    accessToken: response.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    expiresAt: Math.min(idExpiry, accessExpiry),
    subject: claims.sub,
    ...(username ? { username } : {}),
  };
}

export function isStoredTokens(value: unknown): value is StoredTokens {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    typeof v.issuer === 'string' &&
    typeof v.clientId === 'string' &&
    typeof v.idToken === 'string' &&
    typeof v.accessToken === 'string' &&
    typeof v.expiresAt === 'number' &&
    typeof v.subject === 'string' &&
    (v.refreshToken === undefined || typeof v.refreshToken === 'string')
  );
}
