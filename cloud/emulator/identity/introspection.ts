/**
 * Token introspection (RFC 7662) at Keycloak's `…/protocol/openid-connect/token/introspect`.
 * oidc-provider refuses to introspect JWT access tokens (it keeps no record of them); Keycloak
 * introspects its own JWTs, so this handler answers in its place: a confidential client
 * authenticates (client_secret_post or basic, compared in constant time; Keycloak refuses public
 * clients here), a JWT access token is verified against the realm's key and expiry, a refresh token
 * is looked up in the provider's store. Anything not valid is `{"active": false}`, as RFC 7662 §2.2.
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { RequestHandler } from 'express';
import { importJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';

export interface IntrospectionDeps {
  issuer: string;
  /** The realm's signing key (private JWK; its public half verifies). */
  signingKey: JWK;
  clientSecrets: ReadonlyMap<string, string>;
  /** Finds a refresh token in the provider's store (oidc-provider's `RefreshToken.find`). */
  findRefreshToken(
    value: string,
  ): Promise<{ clientId?: string; accountId?: string; scope?: string; exp?: number; isExpired?: boolean } | undefined>;
  now?: () => number;
}

function clientFrom(req: express.Request): { id: string; secret: string } | undefined {
  const auth = req.get('authorization');
  if (auth?.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    if (id && secret) return { id: decodeURIComponent(id), secret: decodeURIComponent(secret) };
  }
  const body = req.body as Record<string, unknown> | undefined;
  if (typeof body?.client_id === 'string' && typeof body.client_secret === 'string')
    return { id: body.client_id, secret: body.client_secret };
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function introspectionHandler(deps: IntrospectionDeps): RequestHandler[] {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = deps.signingKey;
  const key = importJWK(publicJwk, 'RS256');
  const now = deps.now ?? Date.now;
  const handle: RequestHandler = async (req, res, next) => {
    try {
      const client = clientFrom(req);
      const expected = client ? deps.clientSecrets.get(client.id) : undefined;
      if (!client || expected === undefined || !sameSecret(client.secret, expected)) {
        res
          .status(401)
          .json({ error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
        return;
      }
      const token = (req.body as Record<string, unknown> | undefined)?.token;
      if (typeof token !== 'string' || token.length === 0) {
        res.status(400).json({ error: 'invalid_request', error_description: 'missing token' });
        return;
      }
      if (token.split('.').length === 3) {
        try {
          const { payload } = await jwtVerify(token, await key, { issuer: deps.issuer, currentDate: new Date(now()) });
          res.json({
            ...payload,
            active: true,
            client_id: payload.azp,
            username: payload.preferred_username,
            token_type: 'Bearer',
          });
        } catch {
          res.json({ active: false });
        }
        return;
      }
      const rt = await deps.findRefreshToken(token);
      if (!rt || rt.isExpired || rt.clientId !== client.id) {
        res.json({ active: false });
        return;
      }
      res.json({
        active: true,
        client_id: rt.clientId,
        sub: rt.accountId,
        scope: rt.scope,
        exp: rt.exp,
        iss: deps.issuer,
        token_type: 'Refresh',
      });
    } catch (err) {
      next(err);
    }
  };
  return [express.urlencoded({ extended: false, limit: '16kb' }), handle];
}
