/**
 * The `softap` section of the device configuration: when the setup access point runs (the fallback
 * policy of softap-fallback/policy, or always/never), where its HTTP server listens, which access
 * point backend runs it, and the non-secret claim defaults the upload page pre-fills.
 * Validated like the rest of the file: CONFIG_INVALID naming the field (`softap.listen.port …`).
 */
import { join } from 'node:path';
import { isProvisioningError } from '../../../protocol/index.js';
import {
  validateInterfaceName,
  validateSsid,
  DEFAULT_AP_ADDRESS,
  SSID_PREFIX_MAX_BYTES,
  DEFAULT_SSID_PREFIX,
} from '../../../softap-fallback/ap/index.js';
import { resolveFallbackPolicyConfig } from '../../../softap-fallback/policy/index.js';
import type { FallbackPolicyConfigInput } from '../../../softap-fallback/policy/index.js';

/** `policy`: the fallback policy decides (production); `always`: AP + server from boot (development, demo); `never`: BLE only. */
export type SoftApMode = 'policy' | 'always' | 'never';
export const SOFTAP_MODES: readonly SoftApMode[] = ['policy', 'always', 'never'];
export type AccessPointBackendName = 'linux' | 'simulated';
export const ACCESS_POINT_BACKENDS: readonly AccessPointBackendName[] = ['linux', 'simulated'];

/** The seed's page: http://10.0.0.1 (port 80). */
export const DEFAULT_SOFTAP_PORT = 80;
/** With the simulated AP nothing owns 10.0.0.1: serve on loopback, on a free port (logged). */
export const SIMULATED_SOFTAP_HOST = '127.0.0.1';
export const SIMULATED_SOFTAP_PORT = 0;
/** Device secret the WPA2 passphrase is derived from (softap-fallback/ap/identity.ts), in stateDir. */
export const DEFAULT_SOFTAP_SECRET_FILE = 'softap-secret.bin';

export interface SoftApClaimDefaults {
  readonly host: string;
  readonly port: number;
  readonly templateName: string;
}

export interface SoftApConfig {
  readonly mode: SoftApMode;
  /** The fallback policy's settings (validated; softap-fallback/policy resolves them). */
  readonly policy: FallbackPolicyConfigInput;
  readonly listen: { readonly host: string; readonly port: number };
  readonly accessPoint: {
    readonly backend: AccessPointBackendName;
    readonly interface: string;
    /** ISO 3166-1 alpha-2; required for the linux backend (a wrong country is a regulatory problem). */
    readonly countryCode?: string;
    readonly channel?: number;
    readonly ssidPrefix: string;
    /** `wpa2` with the per-device passphrase, or an explicitly acknowledged open network. */
    readonly security: 'wpa2' | 'open';
    /** At least 32 bytes; created (random, 0600) on first start when absent. */
    readonly secretPath: string;
  };
  /** Served at /api/v1/claim-defaults (not secret); absent = 404 and the page asks. */
  readonly claimDefaults?: SoftApClaimDefaults;
}

/** The subset of the config reader softap parsing needs (schema.ts's Reader). */
export interface FieldReader {
  fail(path: string, problem: string): never;
  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown>;
  string(value: unknown, path: string, fallback?: string): string;
  optionalString(value: unknown, path: string): string | undefined;
  integer(value: unknown, path: string, min: number, max: number, fallback?: number): number;
  oneOf<T extends string>(value: unknown, path: string, options: readonly T[], fallback: T): T;
}

/** Re-throws a validator's CONFIG_INVALID (`field: why`) as the reader's, under `prefix`. */
function rethrowUnder(r: FieldReader, prefix: string, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!isProvisioningError(err) || err.code !== 'CONFIG_INVALID' || err.detail === undefined) throw err;
    const at = err.detail.indexOf(': ');
    r.fail(`${prefix}.${err.detail.slice(0, at)}`, err.detail.slice(at + 2));
  }
}

function nullableNumber(r: FieldReader, value: unknown, path: string): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number') r.fail(path, 'must be a number or null (trigger off)');
  return value;
}

/**
 * `defaultBackend`: `simulated` when the Wi-Fi is simulated (development), else `linux` (a real Pi).
 * Fields are checked in file order, so the first problem reported is the same on every run.
 */
export function parseSoftApConfig(
  r: FieldReader,
  raw: unknown,
  stateDir: string,
  defaultBackend: AccessPointBackendName,
): SoftApConfig {
  const s = r.object(raw ?? {}, 'softap', [
    '$comment',
    'mode',
    'triggers',
    'apRetrySeconds',
    'listen',
    'accessPoint',
    'claimDefaults',
  ]);
  const mode = r.oneOf(s['mode'], 'softap.mode', SOFTAP_MODES, 'policy');
  const policy = parsePolicy(r, s['triggers'], s['apRetrySeconds']);
  const ap = r.object(s['accessPoint'] ?? {}, 'softap.accessPoint', [
    'backend',
    'interface',
    'countryCode',
    'channel',
    'ssidPrefix',
    'security',
    'secretPath',
  ]);
  const accessPoint = parseAccessPoint(r, ap, mode, defaultBackend);
  const listen = parseListen(r, s['listen'], accessPoint.backend === 'simulated');
  const claimDefaults = s['claimDefaults'] === undefined ? undefined : parseClaimDefaults(r, s['claimDefaults']);
  const secretPath = r.string(
    ap['secretPath'],
    'softap.accessPoint.secretPath',
    join(stateDir, DEFAULT_SOFTAP_SECRET_FILE),
  );
  return {
    mode,
    policy,
    listen,
    accessPoint: { ...accessPoint, secretPath },
    ...(claimDefaults !== undefined ? { claimDefaults } : {}),
  };
}

/** `softap.triggers` and `softap.apRetrySeconds`, checked as the fallback policy will resolve them. */
function parsePolicy(r: FieldReader, rawTriggers: unknown, apRetrySeconds: unknown): FallbackPolicyConfigInput {
  const t = r.object(rawTriggers ?? {}, 'softap.triggers', ['noBleController', 'bleIdleMinutes', 'wifiLossSeconds']);
  const triggers: NonNullable<FallbackPolicyConfigInput['triggers']> = {
    ...(t['noBleController'] !== undefined ? { noBleController: t['noBleController'] as boolean } : {}),
  };
  const idle = nullableNumber(r, t['bleIdleMinutes'], 'softap.triggers.bleIdleMinutes');
  if (idle !== undefined) triggers.bleIdleMinutes = idle;
  const loss = nullableNumber(r, t['wifiLossSeconds'], 'softap.triggers.wifiLossSeconds');
  if (loss !== undefined) triggers.wifiLossSeconds = loss;
  const policy: FallbackPolicyConfigInput = {
    triggers,
    ...(apRetrySeconds !== undefined ? { apRetrySeconds: apRetrySeconds as number } : {}),
  };
  rethrowUnder(r, 'softap', () => resolveFallbackPolicyConfig(policy));
  return policy;
}

/** `softap.accessPoint` but its `secretPath` (read last). */
function parseAccessPoint(
  r: FieldReader,
  ap: Record<string, unknown>,
  mode: SoftApMode,
  defaultBackend: AccessPointBackendName,
): Omit<SoftApConfig['accessPoint'], 'secretPath'> {
  const backend = r.oneOf(ap['backend'], 'softap.accessPoint.backend', ACCESS_POINT_BACKENDS, defaultBackend);
  const iface = r.string(ap['interface'], 'softap.accessPoint.interface', 'wlan0');
  rethrowUnder(r, 'softap.accessPoint', () => validateInterfaceName(iface));
  const countryCode = r.optionalString(ap['countryCode'], 'softap.accessPoint.countryCode');
  if (countryCode !== undefined && !/^[A-Z]{2}$/.test(countryCode))
    r.fail('softap.accessPoint.countryCode', 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. DE');
  if (countryCode === undefined && backend === 'linux' && mode !== 'never') {
    r.fail(
      'softap.accessPoint.countryCode',
      'is required for the linux backend (ISO 3166-1 alpha-2, e.g. DE), or set softap.mode to "never"',
    );
  }
  const channel =
    ap['channel'] === undefined ? undefined : r.integer(ap['channel'], 'softap.accessPoint.channel', 1, 13);
  const ssidPrefix = r.string(ap['ssidPrefix'], 'softap.accessPoint.ssidPrefix', DEFAULT_SSID_PREFIX);
  rethrowUnder(r, 'softap.accessPoint', () => validateSsid(ssidPrefix, 'ssidPrefix'));
  if (new TextEncoder().encode(ssidPrefix).length > SSID_PREFIX_MAX_BYTES)
    r.fail('softap.accessPoint.ssidPrefix', `must be at most ${SSID_PREFIX_MAX_BYTES} bytes`);
  const security = r.oneOf(ap['security'], 'softap.accessPoint.security', ['wpa2', 'open'] as const, 'wpa2');
  return {
    backend,
    interface: iface,
    ...(countryCode !== undefined ? { countryCode } : {}),
    ...(channel !== undefined ? { channel } : {}),
    ssidPrefix,
    security,
  };
}

/** `softap.listen`; with the simulated AP nothing owns the AP address, so loopback on a free port. */
function parseListen(r: FieldReader, raw: unknown, simulated: boolean): SoftApConfig['listen'] {
  const l = r.object(raw ?? {}, 'softap.listen', ['host', 'port']);
  const host = r.string(l['host'], 'softap.listen.host', simulated ? SIMULATED_SOFTAP_HOST : DEFAULT_AP_ADDRESS);
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(host) && host !== 'localhost')
    r.fail('softap.listen.host', 'must be a dotted-quad IPv4 address (the AP address, 10.0.0.1 by default)');
  const port = r.integer(
    l['port'],
    'softap.listen.port',
    0,
    65_535,
    simulated ? SIMULATED_SOFTAP_PORT : DEFAULT_SOFTAP_PORT,
  );
  return { host, port };
}

function parseClaimDefaults(r: FieldReader, raw: unknown): SoftApClaimDefaults {
  const c = r.object(raw, 'softap.claimDefaults', ['host', 'port', 'templateName']);
  const host = r.string(c['host'], 'softap.claimDefaults.host');
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(host)) r.fail('softap.claimDefaults.host', 'must be a host name or IPv4 address');
  const templateName = r.string(c['templateName'], 'softap.claimDefaults.templateName');
  if (!/^[0-9A-Za-z_-]{1,36}$/.test(templateName))
    r.fail('softap.claimDefaults.templateName', 'must be 1-36 of A-Z a-z 0-9 _ -');
  return { host, port: r.integer(c['port'], 'softap.claimDefaults.port', 1, 65_535, 8883), templateName };
}
