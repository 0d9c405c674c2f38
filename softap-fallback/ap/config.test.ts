import { describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import { OPEN_NETWORK_WARNING, resolveAccessPointConfig, type AccessPointConfigInput } from './config.js';

const base: AccessPointConfigInput = {
  interface: 'wlan0',
  ssid: 'Setup-pi-00af3c',
  security: { mode: 'wpa2', passphrase: 'K7QM-2XHP-9RTW-C4NB' },
  countryCode: 'DE',
};

function rejection(input: unknown): ProvisioningError {
  try {
    resolveAccessPointConfig(input as AccessPointConfigInput);
  } catch (err) {
    expect(err).toBeInstanceOf(ProvisioningError);
    return err as ProvisioningError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('resolveAccessPointConfig', () => {
  it('fills the seed-compatible defaults', () => {
    const config = resolveAccessPointConfig(base);
    expect(config).toMatchObject({
      interface: 'wlan0',
      channel: 6,
      address: '10.0.0.1',
      prefixLength: 24,
      netmask: '255.255.255.0',
      dhcpRangeStart: '10.0.0.10',
      dhcpRangeEnd: '10.0.0.250',
      dhcpLeaseSeconds: 3600,
      captivePortalDns: true,
      maxStations: 4,
    });
    expect(config.warnings).toEqual([]);
  });

  it('accepts SSIDs of exactly 1 and 32 bytes, counting UTF-8 bytes', () => {
    expect(resolveAccessPointConfig({ ...base, ssid: 'x' }).ssid).toBe('x');
    expect(resolveAccessPointConfig({ ...base, ssid: 'x'.repeat(32) }).ssid).toHaveLength(32);
    expect(resolveAccessPointConfig({ ...base, ssid: 'é'.repeat(16) }).ssid).toHaveLength(16);
    expect(rejection({ ...base, ssid: 'é'.repeat(17) }).detail).toBe('ssid: must be 1-32 bytes of UTF-8');
  });

  it('accepts passphrases of exactly 8 and 63 characters', () => {
    expect(() =>
      resolveAccessPointConfig({ ...base, security: { mode: 'wpa2', passphrase: '12345678' } }),
    ).not.toThrow();
    expect(() =>
      resolveAccessPointConfig({ ...base, security: { mode: 'wpa2', passphrase: 'p'.repeat(63) } }),
    ).not.toThrow();
  });

  const hostile: Array<[string, Partial<Record<keyof AccessPointConfigInput, unknown>>, string]> = [
    ['empty ssid', { ssid: '' }, 'ssid: must be 1-32 bytes of UTF-8'],
    ['33-byte ssid', { ssid: 'x'.repeat(33) }, 'ssid: must be 1-32 bytes of UTF-8'],
    ['ssid injecting a directive', { ssid: 'a\nwpa=0' }, 'ssid: must not contain control characters or line breaks'],
    ['ssid with CR', { ssid: 'a\rb' }, 'ssid: must not contain control characters or line breaks'],
    ['ssid with NUL', { ssid: 'a\u0000b' }, 'ssid: must not contain control characters or line breaks'],
    ['ssid with U+2028', { ssid: 'a\u2028b' }, 'ssid: must not contain control characters or line breaks'],
    ['ssid padded with spaces', { ssid: ' setup ' }, 'ssid: must not start or end with white space'],
    ['ssid not a string', { ssid: 42 }, 'ssid: must be a string'],
    [
      '7-char passphrase',
      { security: { mode: 'wpa2', passphrase: '1234567' } },
      'security.passphrase: must be 8-63 characters',
    ],
    [
      '64-char passphrase (raw PSK)',
      { security: { mode: 'wpa2', passphrase: 'a'.repeat(64) } },
      'security.passphrase: must be 8-63 characters',
    ],
    [
      'passphrase injecting a directive',
      { security: { mode: 'wpa2', passphrase: 'abcdefgh\nwpa=0' } },
      'security.passphrase: must be printable ASCII (no control characters or line breaks)',
    ],
    [
      'non-ASCII passphrase',
      { security: { mode: 'wpa2', passphrase: 'pässwörter' } },
      'security.passphrase: must be printable ASCII (no control characters or line breaks)',
    ],
    [
      'open without acknowledgement',
      { security: { mode: 'open' } },
      'security.acknowledgeOpenNetwork: an open access point is an explicit opt-in: set it to true',
    ],
    [
      'unknown security mode',
      { security: { mode: 'wep', passphrase: '12345678' } },
      "security.mode: must be 'wpa2' or 'open'",
    ],
    [
      'missing security',
      { security: undefined },
      "security: must be { mode: 'wpa2', passphrase } or an acknowledged open network",
    ],
    [
      'interface option injection',
      { interface: '-f' },
      'interface: must be 1-15 characters of A-Z a-z 0-9 _ . -, not starting with . _ or -',
    ],
    [
      'interface with a newline',
      { interface: 'wlan0\nssid=x' },
      'interface: must be 1-15 characters of A-Z a-z 0-9 _ . -, not starting with . _ or -',
    ],
    [
      'interface with a slash',
      { interface: 'wl/an0' },
      'interface: must be 1-15 characters of A-Z a-z 0-9 _ . -, not starting with . _ or -',
    ],
    [
      '16-char interface',
      { interface: 'w'.repeat(16) },
      'interface: must be 1-15 characters of A-Z a-z 0-9 _ . -, not starting with . _ or -',
    ],
    ['lower-case country', { countryCode: 'de' }, 'countryCode: must be two upper-case letters (ISO 3166-1 alpha-2)'],
    [
      'country injecting',
      { countryCode: 'DE\nchannel=14' },
      'countryCode: must be two upper-case letters (ISO 3166-1 alpha-2)',
    ],
    ['channel 14', { channel: 14 }, 'channel: must be an integer in 1..13'],
    ['channel 0', { channel: 0 }, 'channel: must be an integer in 1..13'],
    ['fractional channel', { channel: 6.5 }, 'channel: must be an integer in 1..13'],
    ['channel as text', { channel: '6\nwpa=0' }, 'channel: must be an integer in 1..13'],
    ['octal-looking address', { address: '010.0.0.1' }, 'address: must be a dotted-quad IPv4 address'],
    [
      'address with a newline',
      { address: '10.0.0.1\naddress=/#/6.6.6.6' },
      'address: must be a dotted-quad IPv4 address',
    ],
    ['network address', { address: '10.0.0.0' }, 'address: must not be the network or broadcast address of its subnet'],
    [
      'broadcast address',
      { address: '10.0.0.255' },
      'address: must not be the network or broadcast address of its subnet',
    ],
    ['prefix /8', { prefixLength: 8 }, 'prefixLength: must be an integer in 16..29'],
    [
      'dhcp range outside the subnet',
      { dhcpRangeStart: '10.0.1.10' },
      'dhcpRangeStart: must be a host address inside 10.0.0.0/24',
    ],
    [
      'dhcp range reversed',
      { dhcpRangeStart: '10.0.0.200', dhcpRangeEnd: '10.0.0.100' },
      'dhcpRangeEnd: must not come before dhcpRangeStart',
    ],
    ['address inside the dhcp range', { address: '10.0.0.20' }, 'address: must lie outside the DHCP range'],
    ['lease under dnsmasq minimum', { dhcpLeaseSeconds: 60 }, 'dhcpLeaseSeconds: must be an integer in 120..86400'],
    ['captive flag as text', { captivePortalDns: 'yes' }, 'captivePortalDns: must be a boolean'],
    ['zero stations', { maxStations: 0 }, 'maxStations: must be an integer in 1..32'],
  ];

  it.each(hostile)('rejects %s with CONFIG_INVALID naming the field', (_name, patch, detail) => {
    const err = rejection({ ...base, ...patch });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.detail).toBe(detail);
  });

  it('never echoes the rejected passphrase in the error', () => {
    const err = rejection({ ...base, security: { mode: 'wpa2', passphrase: 'secret\npassword' } });
    expect(err.message).not.toContain('secret');
  });

  it('allows an open network only as an acknowledged opt-in, with a warning', () => {
    const config = resolveAccessPointConfig({ ...base, security: { mode: 'open', acknowledgeOpenNetwork: true } });
    expect(config.security.mode).toBe('open');
    expect(config.warnings).toEqual([OPEN_NETWORK_WARNING]);
  });

  it('derives the DHCP pool from a smaller subnet', () => {
    const config = resolveAccessPointConfig({ ...base, address: '192.168.4.1', prefixLength: 28 });
    expect(config).toMatchObject({
      netmask: '255.255.255.240',
      dhcpRangeStart: '192.168.4.10',
      dhcpRangeEnd: '192.168.4.14',
    });
  });
});
