import { AuthorizationResponseError, ResponseBodyError } from 'openid-client';
import { isProvisioningError, ProvisioningError } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';

/** OAuth error codes that mean "the stored login is no longer good": log in again. */
const RELOGIN_ERRORS = new Set(['invalid_grant', 'expired_token', 'access_denied', 'login_required']);

/**
 * Translates an openid-client / fetch failure into the product's error, once, at the edge.
 * Only the OAuth `error` code and the provider's description go into the detail (never a token).
 */
export function oidcError(err: unknown, what: string, fallback: ErrorCode = 'LOGIN_FAILED'): ProvisioningError {
  if (isProvisioningError(err)) return err;
  if (err instanceof ResponseBodyError || err instanceof AuthorizationResponseError) {
    const code: ErrorCode =
      fallback === 'LOGIN_REQUIRED' && RELOGIN_ERRORS.has(err.error) ? 'LOGIN_REQUIRED' : 'LOGIN_FAILED';
    const description = err.error_description ? ` (${err.error_description.slice(0, 120)})` : '';
    return new ProvisioningError(code, { detail: `${what}: ${err.error}${description}`, cause: err });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new ProvisioningError('LOGIN_FAILED', { detail: `${what}: cancelled or timed out`, cause: err });
  }
  const net = (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new ProvisioningError('LOGIN_FAILED', { detail: `${what}: ${net ?? message.slice(0, 160)}`, cause: err });
}
