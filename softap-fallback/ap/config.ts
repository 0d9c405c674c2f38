/**
 * The access point's settings: the loose input a caller writes, and the validated, complete
 * {@link AccessPointConfig} the renderers and backends use. Every value that ends up in
 * hostapd.conf, dnsmasq.conf or a command line is checked here, so nothing can inject a line.
 */
import {
  DEFAULT_AP_ADDRESS,
  DEFAULT_AP_PREFIX_LENGTH,
  DEFAULT_CHANNEL,
  DEFAULT_DHCP_FIRST_HOST,
  DEFAULT_DHCP_LAST_HOST,
  DEFAULT_DHCP_LEASE_SECONDS,
  DEFAULT_MAX_STATIONS,
  INTERFACE_NAME_MAX_CHARS,
  MAX_AP_PREFIX_LENGTH,
  MAX_CHANNEL,
  MAX_DHCP_LEASE_SECONDS,
  MAX_STATIONS_LIMIT,
  MIN_AP_PREFIX_LENGTH,
  MIN_CHANNEL,
  MIN_DHCP_LEASE_SECONDS,
  PASSPHRASE_MAX_CHARS,
  PASSPHRASE_MIN_CHARS,
  SSID_MAX_BYTES,
} from './limits.js';
import { configInvalid } from './errors.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';

export type AccessPointSecurity =
  | { mode: 'wpa2'; passphrase: string }
  /** Anyone in range can join. The provisioning protocol still encrypts every secret end to end. */
  | { mode: 'open'; acknowledgeOpenNetwork: true };

export interface AccessPointConfigInput {
  /** Wireless interface for the AP, e.g. `wlan0`, or a virtual `uap0` (see README). */
  interface: string;
  ssid: string;
  security: AccessPointSecurity;
  /** ISO 3166-1 alpha-2, upper case. No default: a wrong country is a regulatory problem. */
  countryCode: string;
  channel?: number;
  /** The device's address on the AP; default 10.0.0.1. */
  address?: string;
  prefixLength?: number;
  dhcpRangeStart?: string;
  dhcpRangeEnd?: string;
  dhcpLeaseSeconds?: number;
  /** Answer every DNS name with the device (address=/#/…) so phones show the captive portal. Default true. */
  captivePortalDns?: boolean;
  maxStations?: number;
}

export interface AccessPointConfig {
  readonly interface: string;
  readonly ssid: string;
  readonly security: AccessPointSecurity;
  readonly countryCode: string;
  readonly channel: number;
  readonly address: string;
  readonly prefixLength: number;
  readonly netmask: string;
  readonly dhcpRangeStart: string;
  readonly dhcpRangeEnd: string;
  readonly dhcpLeaseSeconds: number;
  readonly captivePortalDns: boolean;
  readonly maxStations: number;
  /** Non-fatal findings for the operator's log (e.g. the open-network warning). */
  readonly warnings: readonly string[];
}

export const OPEN_NETWORK_WARNING =
  'softap: the setup access point is OPEN: anyone in range can join it. Secrets stay encrypted by the ' +
  'provisioning session, but prefer WPA2 with the per-device passphrase.';

const INTERFACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const COUNTRY_PATTERN = /^[A-Z]{2}$/;
// C0 controls, DEL and C1 controls: nothing that could end or bend a config line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

export function validateSsid(ssid: unknown, field = 'ssid'): string {
  if (typeof ssid !== 'string') return configInvalid(field, 'must be a string');
  const bytes = new TextEncoder().encode(ssid).length;
  if (bytes < 1 || bytes > SSID_MAX_BYTES) configInvalid(field, `must be 1-${SSID_MAX_BYTES} bytes of UTF-8`);
  if (CONTROL_CHARS.test(ssid)) configInvalid(field, 'must not contain control characters or line breaks');
  if (ssid.trim() !== ssid) configInvalid(field, 'must not start or end with white space');
  return ssid;
}

export function validatePassphrase(passphrase: unknown, field = 'security.passphrase'): string {
  if (typeof passphrase !== 'string') return configInvalid(field, 'must be a string');
  if (passphrase.length < PASSPHRASE_MIN_CHARS || passphrase.length > PASSPHRASE_MAX_CHARS) {
    configInvalid(field, `must be ${PASSPHRASE_MIN_CHARS}-${PASSPHRASE_MAX_CHARS} characters`);
  }
  if (!PRINTABLE_ASCII.test(passphrase))
    configInvalid(field, 'must be printable ASCII (no control characters or line breaks)');
  return passphrase;
}

export function validateInterfaceName(name: unknown, field = 'interface'): string {
  if (typeof name !== 'string') return configInvalid(field, 'must be a string');
  if (name.length < 1 || name.length > INTERFACE_NAME_MAX_CHARS || !INTERFACE_PATTERN.test(name)) {
    configInvalid(
      field,
      `must be 1-${INTERFACE_NAME_MAX_CHARS} characters of A-Z a-z 0-9 _ . -, not starting with . _ or -`,
    );
  }
  return name;
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    configInvalid(field, `must be an integer in ${min}..${max}`);
  }
  return value;
}

function security(value: unknown): { security: AccessPointSecurity; warnings: string[] } {
  if (typeof value !== 'object' || value === null)
    return configInvalid('security', "must be { mode: 'wpa2', passphrase } or an acknowledged open network");
  const v = value as Record<string, unknown>;
  if (v.mode === 'wpa2')
    return { security: { mode: 'wpa2', passphrase: validatePassphrase(v.passphrase) }, warnings: [] };
  if (v.mode === 'open') {
    if (v.acknowledgeOpenNetwork !== true)
      configInvalid('security.acknowledgeOpenNetwork', 'an open access point is an explicit opt-in: set it to true');
    return { security: { mode: 'open', acknowledgeOpenNetwork: true }, warnings: [OPEN_NETWORK_WARNING] };
  }
  return configInvalid('security.mode', "must be 'wpa2' or 'open'");
}

/** Validates every field and fills in the defaults. Throws CONFIG_INVALID naming the first bad field. */
export function resolveAccessPointConfig(input: AccessPointConfigInput): AccessPointConfig {
  if (typeof input !== 'object' || input === null) configInvalid('config', 'must be an object');
  const iface = validateInterfaceName(input.interface);
  const ssid = validateSsid(input.ssid);
  const sec = security(input.security);
  if (typeof input.countryCode !== 'string' || !COUNTRY_PATTERN.test(input.countryCode)) {
    configInvalid('countryCode', 'must be two upper-case letters (ISO 3166-1 alpha-2)');
  }
  const channel = integerIn(input.channel ?? DEFAULT_CHANNEL, 'channel', MIN_CHANNEL, MAX_CHANNEL);
  const prefixLength = integerIn(
    input.prefixLength ?? DEFAULT_AP_PREFIX_LENGTH,
    'prefixLength',
    MIN_AP_PREFIX_LENGTH,
    MAX_AP_PREFIX_LENGTH,
  );
  const address = parseIpv4(input.address ?? DEFAULT_AP_ADDRESS, 'address');
  const mask = (0xffffffff << (32 - prefixLength)) >>> 0;
  const network = (address & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  if (address === network || address === broadcast)
    configInvalid('address', 'must not be the network or broadcast address of its subnet');
  const hostCount = broadcast - network - 1;
  const start =
    input.dhcpRangeStart === undefined
      ? network + Math.min(DEFAULT_DHCP_FIRST_HOST, hostCount)
      : parseIpv4(input.dhcpRangeStart, 'dhcpRangeStart');
  const end =
    input.dhcpRangeEnd === undefined
      ? network + Math.min(DEFAULT_DHCP_LAST_HOST, hostCount)
      : parseIpv4(input.dhcpRangeEnd, 'dhcpRangeEnd');
  for (const [field, value] of [
    ['dhcpRangeStart', start],
    ['dhcpRangeEnd', end],
  ] as const) {
    if ((value & mask) >>> 0 !== network || value === network || value === broadcast) {
      configInvalid(field, `must be a host address inside ${formatIpv4(network)}/${prefixLength}`);
    }
  }
  if (start > end) configInvalid('dhcpRangeEnd', 'must not come before dhcpRangeStart');
  if (address >= start && address <= end) configInvalid('address', 'must lie outside the DHCP range');
  const dhcpLeaseSeconds = integerIn(
    input.dhcpLeaseSeconds ?? DEFAULT_DHCP_LEASE_SECONDS,
    'dhcpLeaseSeconds',
    MIN_DHCP_LEASE_SECONDS,
    MAX_DHCP_LEASE_SECONDS,
  );
  const captive = input.captivePortalDns ?? true;
  if (typeof captive !== 'boolean') configInvalid('captivePortalDns', 'must be a boolean');
  const maxStations = integerIn(input.maxStations ?? DEFAULT_MAX_STATIONS, 'maxStations', 1, MAX_STATIONS_LIMIT);
  return {
    interface: iface,
    ssid,
    security: sec.security,
    countryCode: input.countryCode,
    channel,
    address: formatIpv4(address),
    prefixLength,
    netmask: formatIpv4(mask),
    dhcpRangeStart: formatIpv4(start),
    dhcpRangeEnd: formatIpv4(end),
    dhcpLeaseSeconds,
    captivePortalDns: captive,
    maxStations,
    warnings: sec.warnings,
  };
}
