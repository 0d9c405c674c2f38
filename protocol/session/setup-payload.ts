/**
 * The QR payload (SESSION.md, "QR payload"): `tup:1?n=<deviceId>&c=<setup code>&t=<transports>`,
 * e.g. `tup:1?n=pi-kitchen&c=7G3KQ9TZ2MX&t=ble,softap`.
 */
import { assertDeviceId } from './device-id.js';
import { fail } from './fail.js';
import { parseSetupCode, type SetupCode } from './setup-code.js';

export const SETUP_PAYLOAD_PREFIX = 'tup:1?';
export const TRANSPORTS = ['ble', 'softap'] as const;
export type Transport = (typeof TRANSPORTS)[number];
/** Longest payload accepted by the parser, in characters (a real one is under 70). */
export const SETUP_PAYLOAD_MAX_LENGTH = 256;

export interface SetupPayload {
  readonly deviceId: string;
  readonly setupCode: SetupCode;
  readonly transports: readonly Transport[];
}

function isTransport(t: string): t is Transport {
  return (TRANSPORTS as readonly string[]).includes(t);
}

export function encodeSetupPayload(p: SetupPayload): string {
  assertDeviceId(p.deviceId, 'SESSION_SETUP_CODE_INVALID');
  const code = parseSetupCode(p.setupCode);
  if (
    p.transports.length === 0 ||
    p.transports.some((t) => !isTransport(t)) ||
    new Set(p.transports).size !== p.transports.length
  ) {
    fail(
      'SESSION_SETUP_CODE_INVALID',
      `transports must be a non-empty, duplicate-free subset of ${TRANSPORTS.join(',')}`,
    );
  }
  return `${SETUP_PAYLOAD_PREFIX}n=${p.deviceId}&c=${code}&t=${p.transports.join(',')}`;
}

/** Parses and validates a scanned payload; unknown parameters are ignored for forward compatibility. */
export function parseSetupPayload(uri: string): SetupPayload {
  if (uri.length > SETUP_PAYLOAD_MAX_LENGTH) fail('SESSION_SETUP_CODE_INVALID', 'the QR payload is too long');
  const prefix = uri.slice(0, SETUP_PAYLOAD_PREFIX.length).toLowerCase();
  if (prefix !== SETUP_PAYLOAD_PREFIX)
    fail('SESSION_SETUP_CODE_INVALID', `the QR payload does not start with ${SETUP_PAYLOAD_PREFIX}`);
  const params = new Map<string, string>();
  for (const pair of uri.slice(SETUP_PAYLOAD_PREFIX.length).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail('SESSION_SETUP_CODE_INVALID', 'the QR payload has a malformed parameter');
    const key = pair.slice(0, eq);
    if (params.has(key)) fail('SESSION_SETUP_CODE_INVALID', `the QR payload repeats parameter ${key.slice(0, 8)}`);
    params.set(key, pair.slice(eq + 1));
  }
  const n = params.get('n');
  const c = params.get('c');
  const t = params.get('t');
  if (n === undefined || c === undefined || t === undefined)
    fail('SESSION_SETUP_CODE_INVALID', 'the QR payload needs the parameters n, c and t');
  const transports = t.split(',');
  if (
    transports.length === 0 ||
    transports.some((x) => !isTransport(x)) ||
    new Set(transports).size !== transports.length
  ) {
    fail(
      'SESSION_SETUP_CODE_INVALID',
      `transports must be a non-empty, duplicate-free subset of ${TRANSPORTS.join(',')}`,
    );
  }
  return {
    deviceId: assertDeviceId(n, 'SESSION_SETUP_CODE_INVALID'),
    setupCode: parseSetupCode(c),
    transports: transports as Transport[],
  };
}
