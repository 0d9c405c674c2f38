/**
 * CORS as AWS answers it for Cognito Identity and the AWS IoT control plane, so that the AWS SDK's
 * browser clients (the web app, apps/web) can call the emulator from another origin: any origin, the
 * SDK's own headers allowed (content-type, x-amz-*, amz-sdk-invocation-id, amz-sdk-request,
 * authorization), the request id and error headers exposed. No credentials (cookies) are involved:
 * requests are signed or carry their token in the body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers a browser may send cross-origin (lower case, as browsers list them in a preflight). */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-amz-content-sha256',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-target',
  'x-amz-user-agent',
  'x-amz-api-version',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
] as const;
export const CORS_EXPOSED_HEADERS = ['x-amzn-requestid', 'x-amzn-errortype', 'x-amzn-errormessage', 'date'] as const;
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, HEAD';
/** How long a browser may reuse one preflight answer, s. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Adds the CORS headers to `res` for a request with an Origin, and answers a preflight (OPTIONS with
 * Access-Control-Request-Method) itself: returns true when the request is done.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.origin === undefined) return false;
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS.join(', '));
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (!preflight) return false;
  const asked = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const allowed = asked.filter((h) => (CORS_ALLOWED_HEADERS as readonly string[]).includes(h));
  res.writeHead(200, {
    'access-control-allow-methods': ALLOWED_METHODS,
    ...(allowed.length > 0 ? { 'access-control-allow-headers': allowed.join(', ') } : {}),
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
    'content-length': '0',
  });
  res.end();
  return true;
}
