import * as client from 'openid-client';
import { ProvisioningError } from '../../protocol/errors.js';
import { oidcError } from './errors.js';

/** Host names that are this machine: plain http to them is allowed (the emulator), to nothing else. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/**
 * Discovers the issuer (OpenID Connect discovery) for a public client (no secret, PKCE).
 * http:// is accepted only for loopback issuers (the local emulator); anything else must be https.
 */
export async function discoverIssuer(issuer: string, clientId: string): Promise<client.Configuration> {
  const url = new URL(issuer);
  const insecure = url.protocol === 'http:';
  if (insecure && !isLoopbackUrl(url)) {
    throw new ProvisioningError('CONFIG_INVALID', { detail: `oidc.issuer: plain http is allowed only for loopback hosts, not ${url.host}` });
  }
  try {
    return await client.discovery(url, clientId, undefined, client.None(), insecure ? { execute: [client.allowInsecureRequests] } : undefined);
  } catch (err) {
    throw oidcError(err, `discovery at ${url.origin}`);
  }
}
