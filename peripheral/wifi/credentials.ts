/**
 * The credentials as the tools take them (the SSID as text), validation of what the phone sent, and
 * redaction so a passphrase can never leak into a message.
 */
import { ProvisioningError } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import { MAX_SSID_BYTES } from './types.js';
import type { WifiCredentials } from './types.js';

/** What nmcli, wpa_cli and the simulated networks are given: the SSID decoded as UTF-8. */
export interface TextCredentials {
  ssid: string;
  /** Absent or empty for an open network. Secret: never logged. */
  passphrase?: string;
}

/** The credentials with a UTF-8 SSID as text; any other SSID is WIFI_BACKEND_ERROR (the tools take text). */
export function textCredentials(credentials: WifiCredentials, backend: string): TextCredentials {
  let ssid: string;
  try {
    ssid = new TextDecoder('utf-8', { fatal: true }).decode(credentials.ssid);
  } catch {
    throw new ProvisioningError('WIFI_BACKEND_ERROR', { detail: `the ${backend} backend takes UTF-8 SSIDs only` });
  }
  return { ssid, ...(credentials.passphrase !== undefined ? { passphrase: credentials.passphrase } : {}) };
}

/** SSID bytes for logs and the journal: UTF-8 when printable, else hex. */
export function ssidLabel(ssid: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(ssid);
  return /^[\x20-\x7e]+$/.test(text) ? text : `hex:${Buffer.from(ssid).toString('hex')}`;
}

/** WPA passphrases are 8..63 printable ASCII characters, or 64 hex digits (a raw PSK). */
export const MIN_PASSPHRASE_CHARS = 8;
export const MAX_PASSPHRASE_CHARS = 63;

function hasControlCharacter(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

export function validateCredentials(creds: TextCredentials): void {
  const ssidBytes = Buffer.byteLength(creds.ssid ?? '', 'utf8');
  if (!creds.ssid || ssidBytes > MAX_SSID_BYTES || hasControlCharacter(creds.ssid)) {
    throw new ProvisioningError('MESSAGE_INVALID', {
      detail: `ssid must be 1..${MAX_SSID_BYTES} bytes without control characters`,
    });
  }
  const p = creds.passphrase;
  if (p === undefined || p === '') return;
  const raw = /^[0-9a-fA-F]{64}$/.test(p);
  if (!raw && (p.length < MIN_PASSPHRASE_CHARS || p.length > MAX_PASSPHRASE_CHARS || !/^[\x20-\x7e]+$/.test(p))) {
    throw new ProvisioningError('WIFI_AUTH_FAILED', {
      detail: `a WPA passphrase is ${MIN_PASSPHRASE_CHARS}..${MAX_PASSPHRASE_CHARS} printable ASCII characters`,
    });
  }
}

/** Replaces every occurrence of the secret (tool output can echo it). */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('[redacted]');
}

/** A WIFI_* error whose detail has been redacted. */
export function wifiError(
  code: ErrorCode,
  detail: string,
  secret: string | undefined,
  cause?: unknown,
): ProvisioningError {
  return new ProvisioningError(code, {
    detail: redact(detail, secret).trim().slice(0, 300),
    ...(cause !== undefined ? { cause } : {}),
  });
}
