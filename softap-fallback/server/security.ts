/**
 * The guards every request passes before a route sees it: security headers, the Host allow-list
 * (DNS rebinding), same-origin for everything that changes state, captive-portal redirects.
 */
import type { NextFunction, Request, Response } from 'express';
import { API_PREFIX, CLIENT_HEADER, CLIENT_HEADER_VALUE } from '../client/index.js';
import { HttpFailure } from './http-error.js';
import { MAX_URL_CHARS } from './limits.js';

/** The page loads only what the device serves; no inline script or style, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

/**
 * Paths operating systems fetch to detect a captive portal (Android, Apple, Windows, Firefox,
 * others): answered with a redirect to the setup page so the phone opens it by itself.
 */
export const CAPTIVE_PROBE_PATHS: ReadonlySet<string> = new Set([
  '/generate_204',
  '/gen_204',
  '/hotspot-detect.html',
  '/library/test/success.html',
  '/ncsi.txt',
  '/connecttest.txt',
  '/redirect',
  '/success.txt',
  '/canonical.html',
  '/check_network_status.txt',
]);

export interface GuardOptions {
  /** Host header values the device answers to, lower case (`10.0.0.1`, `127.0.0.1:PORT`, …). */
  readonly allowedHosts: ReadonlySet<string>;
  /** Where captive-portal redirects go, e.g. `http://10.0.0.1/`. */
  readonly pageUrl: () => string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const STATE_METHODS = new Set(['POST', 'DELETE']);

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  next();
}

function redirect(res: Response, to: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(302, to);
}

/** Host allow-list, captive portal, and the same-origin rules for state-changing requests. */
export function guard(options: GuardOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.originalUrl.length > MAX_URL_CHARS)
      throw new HttpFailure(414, 'MESSAGE_TOO_LARGE', `URL longer than ${MAX_URL_CHARS} characters`);
    const isApi = req.path === API_PREFIX || req.path.startsWith(`${API_PREFIX}/`);
    const host = (req.headers.host ?? '').toLowerCase();
    const safe = SAFE_METHODS.has(req.method);
    if (!options.allowedHosts.has(host)) {
      // A phone's connectivity check for another name (DNS answers every name with the device).
      if (safe && !isApi) return redirect(res, options.pageUrl());
      throw new HttpFailure(403, 'ORIGIN_REJECTED', 'unknown Host');
    }
    if (safe && CAPTIVE_PROBE_PATHS.has(req.path)) return redirect(res, options.pageUrl());
    if (req.method === 'OPTIONS')
      throw new HttpFailure(403, 'ORIGIN_REJECTED', 'cross-origin requests are not allowed');
    if (!safe && !STATE_METHODS.has(req.method))
      throw new HttpFailure(405, 'MESSAGE_INVALID', `method ${req.method.slice(0, 10)} not allowed`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      throw new HttpFailure(403, 'ORIGIN_REJECTED', 'the Origin is not the device');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new HttpFailure(403, 'ORIGIN_REJECTED', `Sec-Fetch-Site ${String(site).slice(0, 20)}`);
    if (!safe && req.get(CLIENT_HEADER) !== CLIENT_HEADER_VALUE)
      throw new HttpFailure(403, 'ORIGIN_REJECTED', `the ${CLIENT_HEADER} header is missing`);
    if (isApi) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}
