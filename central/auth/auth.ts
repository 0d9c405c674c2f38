import * as client from 'openid-client';
import { ProvisioningError } from '../../protocol/index.js';
import { oidcError } from './errors.js';
import { discoverIssuer } from './issuer.js';
import { startLoopbackReceiver } from './loopback.js';
import type { TokenCache } from './token-cache.js';
import { storedTokensFrom } from './tokens.js';
import type { StoredTokens } from './tokens.js';
import type { Clock } from '../../protocol/index.js';

/** Tokens with less than this left are refreshed before use (covers clock skew and a slow request). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** How long the browser sign-in may take before the loopback server gives up. */
export const BROWSER_LOGIN_TIMEOUT_MS = 5 * 60_000;
export const PASSWORD_GRANT_TYPE = 'password';

export interface AuthOptions {
  issuer: string;
  clientId: string;
  /**
   * A confidential client's secret (Keycloak "Client authentication: On", as the seed's client), read
   * from a file or the environment by the caller, never from argv. Absent: a public client.
   */
  clientSecret?: string;
  /** Scopes asked for at login (must include openid). */
  scope: string;
  cache: TokenCache;
  /** Milliseconds since the epoch; tests move it. */
  now?: Clock;
}

export interface DeviceCodePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresInS: number;
}

export interface LogoutResult {
  /** There was a stored login. */
  wasLoggedIn: boolean;
  /** The refresh token was revoked at the provider (it advertises a revocation endpoint). */
  revoked: boolean;
  /** Where to end the provider's browser session (RP-initiated logout), when it supports it. */
  endSessionUrl?: string;
}

/**
 * Login against any OpenID Connect provider as a public client: the authorization code flow with
 * PKCE and a loopback redirect, the device authorization grant, and the password grant where the
 * provider advertises it. Tokens live in a {@link TokenCache} and are refreshed when near expiry.
 */
export class Auth {
  private configuration: client.Configuration | undefined;
  private readonly now: Clock;

  constructor(private readonly options: AuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The provider's configuration (discovered once). */
  async provider(): Promise<client.Configuration> {
    this.configuration ??= await discoverIssuer(this.options.issuer, this.options.clientId, this.options.clientSecret);
    return this.configuration;
  }

  /**
   * Authorization code + PKCE (RFC 7636) with a loopback redirect (RFC 8252). `onAuthorizationUrl`
   * shows the URL (and opens a browser); the login completes when the browser reaches the loopback.
   */
  async loginWithBrowser(
    onAuthorizationUrl: (url: URL) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<StoredTokens> {
    const config = await this.provider();
    const timeout = AbortSignal.timeout(BROWSER_LOGIN_TIMEOUT_MS);
    const receiver = await startLoopbackReceiver(signal ? AbortSignal.any([signal, timeout]) : timeout);
    try {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: receiver.redirectUri,
        scope: this.options.scope,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      await onAuthorizationUrl(url);
      const callback = await receiver.callback;
      const response = await client
        .authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state })
        .catch((err: unknown) => {
          throw oidcError(err, 'authorization code');
        });
      return this.save(response);
    } finally {
      await receiver.close();
    }
  }

  /** The device authorization grant (RFC 8628): show the code, then poll until it is approved. */
  async loginWithDeviceCode(
    onPrompt: (prompt: DeviceCodePrompt) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<StoredTokens> {
    const config = await this.provider();
    if (!config.serverMetadata().device_authorization_endpoint) {
      throw new ProvisioningError('LOGIN_FAILED', {
        detail: 'the provider does not offer the device authorization grant',
      });
    }
    try {
      const start = await client.initiateDeviceAuthorization(config, { scope: this.options.scope });
      await onPrompt({
        verificationUri: start.verification_uri,
        ...(start.verification_uri_complete ? { verificationUriComplete: start.verification_uri_complete } : {}),
        userCode: start.user_code,
        expiresInS: start.expires_in,
      });
      const response = await client.pollDeviceAuthorizationGrant(
        config,
        start,
        undefined,
        signal ? { signal } : undefined,
      );
      return this.save(response);
    } catch (err) {
      throw oidcError(err, 'device authorization');
    }
  }

  /** Whether the provider's discovery document lists the password grant. */
  async passwordGrantAllowed(): Promise<boolean> {
    return (await this.provider()).serverMetadata().grant_types_supported?.includes(PASSWORD_GRANT_TYPE) ?? false;
  }

  /** The resource-owner password grant, only where the provider advertises it (the seed's Keycloak setup). */
  async loginWithPassword(username: string, password: string): Promise<StoredTokens> {
    if (!(await this.passwordGrantAllowed())) {
      throw new ProvisioningError('LOGIN_FAILED', {
        detail: 'the provider does not allow the password grant: use the browser or --device-grant',
      });
    }
    const config = await this.provider();
    try {
      const response = await client.genericGrantRequest(config, PASSWORD_GRANT_TYPE, {
        username,
        password,
        scope: this.options.scope,
      });
      return this.save(response);
    } catch (err) {
      throw oidcError(err, 'password grant');
    }
  }

  /** The stored login for this issuer and client, without refreshing; undefined if there is none. */
  stored(): StoredTokens | undefined {
    const tokens = this.options.cache.read();
    if (!tokens || tokens.issuer !== this.options.issuer || tokens.clientId !== this.options.clientId) return undefined;
    return tokens;
  }

  /** Why there is no login to use: none, or (as after the seed's password grant) one of another client. */
  private whyNotStored(): string {
    const { issuer, clientId } = this.options;
    const cached = this.options.cache.read();
    if (cached?.issuer === issuer && cached.clientId !== clientId)
      return `the stored login for ${issuer} is client ${cached.clientId}'s, not ${clientId}'s (give --client-id ${cached.clientId}, or log in again)`;
    return `no stored login for ${issuer}`;
  }

  /**
   * Tokens valid for at least {@link TOKEN_REFRESH_MARGIN_MS}: the cached ones, or refreshed ones
   * (saved back). LOGIN_REQUIRED when there is no login or it cannot be refreshed.
   */
  async tokens(): Promise<StoredTokens> {
    const tokens = this.stored();
    if (!tokens) throw new ProvisioningError('LOGIN_REQUIRED', { detail: this.whyNotStored() });
    if (tokens.expiresAt - this.now() > TOKEN_REFRESH_MARGIN_MS) return tokens;
    if (!tokens.refreshToken)
      throw new ProvisioningError('LOGIN_REQUIRED', { detail: 'the login has expired and cannot be refreshed' });
    const config = await this.provider();
    const response = await client
      .refreshTokenGrant(config, tokens.refreshToken, { scope: this.options.scope })
      .catch((err: unknown) => {
        throw oidcError(err, 'token refresh', 'LOGIN_REQUIRED');
      });
    return this.save(response, tokens);
  }

  /** The ID token for federation (refreshed first when near expiry). */
  async idToken(): Promise<string> {
    return (await this.tokens()).idToken;
  }

  /**
   * Forgets the login: revokes the refresh token where the provider supports revocation (a failure
   * there does not keep the login), deletes the cache and returns the end-session URL if any.
   */
  async logout(): Promise<LogoutResult> {
    const tokens = this.stored();
    if (!tokens) {
      this.options.cache.delete();
      return { wasLoggedIn: false, revoked: false };
    }
    let revoked = false;
    let endSessionUrl: string | undefined;
    try {
      const config = await this.provider();
      const meta = config.serverMetadata();
      if (meta.revocation_endpoint && tokens.refreshToken) {
        await client.tokenRevocation(config, tokens.refreshToken, { token_type_hint: 'refresh_token' });
        revoked = true;
      }
      if (meta.end_session_endpoint) {
        // No id_token_hint: the URL is printed, and an ID token is a credential (Cognito takes it).
        // With client_id only, the provider asks the user to confirm the sign-out.
        endSessionUrl = client.buildEndSessionUrl(config, { client_id: this.options.clientId }).href;
      }
    } catch {
      // An unreachable provider must not keep the user logged in on this machine.
    }
    this.options.cache.delete();
    return { wasLoggedIn: true, revoked, ...(endSessionUrl ? { endSessionUrl } : {}) };
  }

  private save(
    response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
    previous?: StoredTokens,
  ): StoredTokens {
    const tokens = storedTokensFrom(response, this.options.issuer, this.options.clientId, this.now(), previous);
    this.options.cache.write(tokens);
    return tokens;
  }
}
