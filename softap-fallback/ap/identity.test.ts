import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ProvisioningError } from '../../protocol/errors.js';
import { hkdfSync } from 'node:crypto';
import {
  PASSPHRASE_HKDF_INFO_PREFIX,
  PASSPHRASE_HKDF_SALT,
  derivePassphrase,
  generatePassphrase,
  ssidForDevice,
} from './identity.js';
import { resolveAccessPointConfig } from './config.js';

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i);
const FORMAT = /^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$/;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as ProvisioningError).code + ': ' + (err as ProvisioningError).detail;
  }
  return 'no error';
}

describe('ssidForDevice', () => {
  it('is prefix-deviceId when it fits', () => {
    expect(ssidForDevice('pi-00af3c')).toBe('Setup-pi-00af3c');
    expect(ssidForDevice('pi-00af3c', 'RaspiWiFi Setup')).toBe('RaspiWiFi Setup-pi-00af3c');
    expect(ssidForDevice('a'.repeat(26))).toBe(`Setup-${'a'.repeat(26)}`);
  });

  it('keeps the tail of a long id and adds a digest, so long ids sharing a tail still differ', () => {
    const a = ssidForDevice(`AAAA${'x'.repeat(28)}`);
    const b = ssidForDevice(`BBBB${'x'.repeat(28)}`);
    expect(new TextEncoder().encode(a).length).toBe(32);
    expect(a).toMatch(/^Setup-x{21}-[0-9a-f]{4}$/);
    expect(a).not.toBe(b);
  });

  it('always yields a valid SSID for any valid device id', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,32}$/), (id) => {
        const ssid = ssidForDevice(id);
        expect(
          resolveAccessPointConfig({
            interface: 'wlan0',
            ssid,
            countryCode: 'DE',
            security: { mode: 'open', acknowledgeOpenNetwork: true },
          }).ssid,
        ).toBe(ssid);
      }),
    );
  });

  it('rejects a bad device id or prefix with CONFIG_INVALID', () => {
    expect(codeOf(() => ssidForDevice('pi\n00'))).toBe(
      'CONFIG_INVALID: deviceId: must be 1-32 characters of A-Z a-z 0-9 . _ -',
    );
    expect(codeOf(() => ssidForDevice('pi', 'x'.repeat(17)))).toBe(
      'CONFIG_INVALID: ssidPrefix: must be at most 16 bytes',
    );
    expect(codeOf(() => ssidForDevice('pi', 'a\nb'))).toBe(
      'CONFIG_INVALID: ssidPrefix: must not contain control characters or line breaks',
    );
  });
});

describe('derivePassphrase', () => {
  it('is a fixed function of secret and device id (test vector)', () => {
    const p = derivePassphrase(SECRET, 'pi-00af3c');
    expect(p).toMatch(FORMAT);
    expect(p).toBe(derivePassphrase(SECRET, 'pi-00af3c'));
    expect(p).toMatchInlineSnapshot(`"M64S-SAN5-226F-PVDV"`);
  });

  it('is HKDF-SHA256 as node:crypto computes it, in the generated format', () => {
    const okm = new Uint8Array(
      hkdfSync(
        'sha256',
        SECRET,
        PASSPHRASE_HKDF_SALT,
        new TextEncoder().encode(`${PASSPHRASE_HKDF_INFO_PREFIX}pi-00af3c`),
        10,
      ),
    );
    expect(derivePassphrase(SECRET, 'pi-00af3c')).toBe(generatePassphrase(() => okm));
  });

  it('differs per device and per secret', () => {
    const other = SECRET.slice();
    other[0] = 0xff;
    expect(derivePassphrase(SECRET, 'pi-1')).not.toBe(derivePassphrase(SECRET, 'pi-2'));
    expect(derivePassphrase(SECRET, 'pi-1')).not.toBe(derivePassphrase(other, 'pi-1'));
  });

  it('refuses a secret shorter than 256 bits', () => {
    expect(codeOf(() => derivePassphrase(SECRET.slice(0, 31), 'pi-1'))).toBe(
      'CONFIG_INVALID: deviceSecret: must be at least 32 bytes',
    );
  });

  it('always passes WPA2 validation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 64 }), (secret) => {
        const passphrase = derivePassphrase(secret, 'dev');
        expect(passphrase).toMatch(FORMAT);
        expect(() =>
          resolveAccessPointConfig({
            interface: 'wlan0',
            ssid: 's',
            countryCode: 'DE',
            security: { mode: 'wpa2', passphrase },
          }),
        ).not.toThrow();
      }),
    );
  });
});

describe('generatePassphrase', () => {
  it('encodes 80 bits of the injected randomness', () => {
    expect(generatePassphrase((n) => new Uint8Array(n))).toBe('2222-2222-2222-2222');
    expect(generatePassphrase((n) => new Uint8Array(n).fill(0xff))).toBe('ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    expect(generatePassphrase((n) => crypto.getRandomValues(new Uint8Array(n)))).toMatch(FORMAT);
  });

  it('refuses a random source that returns the wrong length', () => {
    expect(() => generatePassphrase(() => new Uint8Array(3))).toThrow(RangeError);
  });
});
