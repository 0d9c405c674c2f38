import { describe, expect, it } from 'vitest';
import { encodeCbor } from './cbor.js';
import { MAX_ENCODED_MESSAGE_BYTES, decodeMessage, encodeMessage, isValidPassphrase } from './codec.js';
import { ProtocolError, UsageError } from './errors.js';
import {
  CERTIFICATE_ID_CHARS,
  MAX_CA_PEM_BYTES,
  MAX_CERTIFICATE_PEM_BYTES,
  MAX_DETAIL_BYTES,
  MAX_FEATURES,
  MAX_FIRMWARE_BYTES,
  MAX_HOST_BYTES,
  MAX_MODEL_BYTES,
  MAX_PARAMETER_NAME_BYTES,
  MAX_PARAMETER_VALUE_BYTES,
  MAX_PRIVATE_KEY_PEM_BYTES,
  MAX_RSSI_DBM,
  MAX_SCAN_RESULTS,
  MAX_STEP_BYTES,
  MAX_TEMPLATE_NAME_CHARS,
  MAX_TEMPLATE_PARAMETERS,
  MAX_THING_NAME_BYTES,
  MAX_WIFI_CHANNEL,
  MIN_RSSI_DBM,
  PASSPHRASE_MAX_CHARS,
  PASSPHRASE_MIN_CHARS,
  SSID_MAX_BYTES,
  type ClaimMessage,
  type InfoMessage,
  type Message,
  type ScanNetwork,
  type StatusMessage,
  type WifiMessage,
} from './messages.js';
import { SAMPLE_CERTIFICATE_PEM, SAMPLE_PRIVATE_KEY_PEM, SAMPLES } from './vectors/samples.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError || e instanceof UsageError) return `${e.constructor.name}:${e.code}`;
    throw e;
  }
  return 'ok';
}
/** Encoding validates with the receiver's rules: the same message is accepted or refused on both sides. */
function verdict(m: Message): string {
  const enc = codeOf(() => encodeMessage(m));
  if (enc !== 'ok') return enc.replace('UsageError:', '');
  return codeOf(() => decodeMessage(encodeMessage(m)));
}
/** Decoder verdict for a raw map (bypasses the encoder's validation). */
function decodeVerdict(entries: [string, unknown][]): string {
  return codeOf(() => decodeMessage(encodeCbor(new Map(entries) as never))).replace('ProtocolError:', '');
}
const pemOf = (label: string, totalBytes: number) => {
  const head = `-----BEGIN ${label}-----\n`;
  const tail = `\n-----END ${label}-----\n`;
  return head + 'A'.repeat(totalBytes - head.length - tail.length) + tail;
};

const wifi: WifiMessage = { type: 'wifi', ssid: utf8('home'), passphrase: 'password' };
const claim = SAMPLES.find((s) => s.name === 'claim')!.message as ClaimMessage;
const info = SAMPLES.find((s) => s.name === 'info')!.message as InfoMessage;
const network: ScanNetwork = { ssid: utf8('n'), rssi: -50, security: 'wpa2', channel: 6 };

describe('round trip', () => {
  it('decodes what it encodes, for every sample', () => {
    for (const { name, message } of SAMPLES) expect(decodeMessage(encodeMessage(message)), name).toEqual(message);
  });

  it('decodes byte strings as plain Uint8Array', () => {
    const m = decodeMessage(encodeMessage(wifi)) as WifiMessage;
    expect(m.ssid.constructor).toBe(Uint8Array);
  });
});

describe('wifi limits', () => {
  it('SSID is 1-32 bytes', () => {
    expect(verdict({ ...wifi, ssid: new Uint8Array(SSID_MAX_BYTES) })).toBe('ok');
    expect(verdict({ ...wifi, ssid: new Uint8Array(SSID_MAX_BYTES + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...wifi, ssid: new Uint8Array(0) })).toBe('MESSAGE_INVALID');
  });

  it('passphrase is 8-63 printable ASCII or 64 hex digits; absent means open', () => {
    expect(isValidPassphrase('a'.repeat(PASSPHRASE_MIN_CHARS))).toBe(true);
    expect(isValidPassphrase('a'.repeat(PASSPHRASE_MIN_CHARS - 1))).toBe(false);
    expect(isValidPassphrase('a'.repeat(PASSPHRASE_MAX_CHARS))).toBe(true);
    expect(isValidPassphrase('g'.repeat(PASSPHRASE_MAX_CHARS + 1))).toBe(false);
    expect(isValidPassphrase('0a'.repeat(32))).toBe(true);
    expect(isValidPassphrase('0a'.repeat(32) + 'b')).toBe(false);
    expect(isValidPassphrase('pässword')).toBe(false);
    expect(isValidPassphrase('pass\nword')).toBe(false);
    expect(verdict({ ...wifi, passphrase: 'short' })).toBe('MESSAGE_INVALID');
    expect(verdict({ type: 'wifi', ssid: utf8('open') })).toBe('ok');
  });

  it('hidden must be a boolean and never leaks the passphrase in errors', () => {
    expect(
      decodeVerdict([
        ['t', 'wifi'],
        ['v', 1],
        ['ssid', utf8('x')],
        ['hidden', 1],
      ]),
    ).toBe('MESSAGE_INVALID');
    let message = '';
    try {
      decodeMessage(
        encodeCbor(
          new Map<string, unknown>([
            ['t', 'wifi'],
            ['v', 1],
            ['ssid', utf8('x')],
            ['pass', 'secret1'],
          ]) as never,
        ),
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("'pass'");
    expect(message).not.toContain('secret1');
  });
});

describe('claim limits', () => {
  it('PEM sizes and framing', () => {
    expect(verdict({ ...claim, certificatePem: pemOf('CERTIFICATE', MAX_CERTIFICATE_PEM_BYTES) })).toBe('ok');
    expect(verdict({ ...claim, certificatePem: pemOf('CERTIFICATE', MAX_CERTIFICATE_PEM_BYTES + 1) })).toBe(
      'MESSAGE_INVALID',
    );
    expect(verdict({ ...claim, privateKeyPem: pemOf('RSA PRIVATE KEY', MAX_PRIVATE_KEY_PEM_BYTES) })).toBe('ok');
    expect(verdict({ ...claim, privateKeyPem: pemOf('PRIVATE KEY', MAX_PRIVATE_KEY_PEM_BYTES + 1) })).toBe(
      'MESSAGE_INVALID',
    );
    expect(verdict({ ...claim, privateKeyPem: pemOf('EC PRIVATE KEY', 300) })).toBe('ok');
    expect(verdict({ ...claim, privateKeyPem: pemOf('ENCRYPTED PRIVATE KEY', 300) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, privateKeyPem: SAMPLE_CERTIFICATE_PEM })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, certificatePem: SAMPLE_PRIVATE_KEY_PEM })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, caPem: pemOf('CERTIFICATE', MAX_CA_PEM_BYTES) })).toBe('ok');
    expect(verdict({ ...claim, caPem: pemOf('CERTIFICATE', MAX_CA_PEM_BYTES + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, caPem: SAMPLE_CERTIFICATE_PEM + SAMPLE_CERTIFICATE_PEM })).toBe('ok');
  });

  it('host, port, template name', () => {
    const label63 = 'a'.repeat(63);
    const host253 = [label63, label63, label63, 'a'.repeat(61)].join('.');
    expect(host253.length).toBe(MAX_HOST_BYTES);
    expect(verdict({ ...claim, host: host253 })).toBe('ok');
    expect(verdict({ ...claim, host: host253 + 'a' })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, host: 'a'.repeat(64) + '.com' })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, host: 'bad host' })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, host: '' })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, port: 0 })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, port: 65_536 })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, port: 1 })).toBe('ok');
    expect(verdict({ ...claim, templateName: 'a'.repeat(MAX_TEMPLATE_NAME_CHARS) })).toBe('ok');
    expect(verdict({ ...claim, templateName: 'a'.repeat(MAX_TEMPLATE_NAME_CHARS + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, templateName: 'a b' })).toBe('MESSAGE_INVALID');
  });

  it('template parameters: count, name and value sizes', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, 'v']));
    expect(verdict({ ...claim, parameters: many(MAX_TEMPLATE_PARAMETERS) })).toBe('ok');
    expect(verdict({ ...claim, parameters: many(MAX_TEMPLATE_PARAMETERS + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, parameters: { ['n'.repeat(MAX_PARAMETER_NAME_BYTES)]: '' } })).toBe('ok');
    expect(verdict({ ...claim, parameters: { ['n'.repeat(MAX_PARAMETER_NAME_BYTES + 1)]: '' } })).toBe(
      'MESSAGE_INVALID',
    );
    expect(verdict({ ...claim, parameters: { '': 'x' } })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, parameters: { k: 'é'.repeat(MAX_PARAMETER_VALUE_BYTES / 2) } })).toBe('ok');
    expect(verdict({ ...claim, parameters: { k: 'v'.repeat(MAX_PARAMETER_VALUE_BYTES + 1) } })).toBe('MESSAGE_INVALID');
    expect(
      decodeVerdict([
        ['t', 'claim'],
        ['v', 1],
        ['cert', claim.certificatePem],
        ['key', claim.privateKeyPem],
        ['host', 'h'],
        ['port', 1],
        ['tmpl', 't'],
        ['exp', 0],
        ['params', new Map([['k', 1]])],
      ]),
    ).toBe('MESSAGE_INVALID');
    expect(
      decodeVerdict([
        ['t', 'claim'],
        ['v', 1],
        ['cert', claim.certificatePem],
        ['key', claim.privateKeyPem],
        ['host', 'h'],
        ['port', 1],
        ['tmpl', 't'],
        ['exp', 0],
        ['params', new Map([[1, 'v']])],
      ]),
    ).toBe('MESSAGE_INVALID');
  });

  it('expiry and certificate mode', () => {
    expect(verdict({ ...claim, expiresAt: -1 })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, expiresAt: 0x1_0000_0000 })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, expiresAt: 1.5 })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...claim, certificateMode: 'csr' })).toBe('ok');
    expect(verdict({ ...claim, certificateMode: 'other' as never })).toBe('MESSAGE_INVALID');
  });

  it('every required field is required', () => {
    for (const key of ['cert', 'key', 'host', 'port', 'tmpl', 'params', 'exp']) {
      const entries = [...decodeMessageEntries(encodeMessage(claim))].filter(([k]) => k !== key);
      expect(decodeVerdict(entries), key).toBe('MESSAGE_INVALID');
    }
  });
});

function decodeMessageEntries(bytes: Uint8Array): [string, unknown][] {
  // re-read the encoded map through the CBOR layer only
  return [...(decodeRaw(bytes) as Map<string, unknown>)];
}
import { decodeCbor as decodeRaw } from './cbor.js';

describe('status, scan, info, control limits', () => {
  const status: StatusMessage = { type: 'status', state: 'failed', error: 'WIFI_AUTH_FAILED', detail: 'd' };
  it('status fields', () => {
    expect(verdict({ ...status, step: 's'.repeat(MAX_STEP_BYTES) })).toBe('ok');
    expect(verdict({ ...status, step: 's'.repeat(MAX_STEP_BYTES + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...status, detail: 'd'.repeat(MAX_DETAIL_BYTES) })).toBe('ok');
    expect(verdict({ ...status, detail: 'd'.repeat(MAX_DETAIL_BYTES + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...status, progress: 100 })).toBe('ok');
    expect(verdict({ ...status, progress: 101 })).toBe('MESSAGE_INVALID');
    expect(verdict({ type: 'status', state: 'idle', detail: 'no error' })).toBe('MESSAGE_INVALID');
    const result = { thingName: 't'.repeat(MAX_THING_NAME_BYTES), certificateId: 'a'.repeat(CERTIFICATE_ID_CHARS) };
    expect(verdict({ type: 'status', state: 'provisioned', result })).toBe('ok');
    expect(
      verdict({
        type: 'status',
        state: 'provisioned',
        result: { ...result, thingName: 't'.repeat(MAX_THING_NAME_BYTES + 1) },
      }),
    ).toBe('MESSAGE_INVALID');
    expect(
      verdict({
        type: 'status',
        state: 'provisioned',
        result: { ...result, certificateId: 'A'.repeat(CERTIFICATE_ID_CHARS) },
      }),
    ).toBe('MESSAGE_INVALID');
    expect(
      decodeVerdict([
        ['t', 'status'],
        ['v', 1],
        ['state', 8],
        ['thing', 'x'],
      ]),
    ).toBe('MESSAGE_INVALID');
    expect(
      decodeVerdict([
        ['t', 'status'],
        ['v', 1],
        ['state', 99],
      ]),
    ).toBe('MESSAGE_INVALID');
  });

  it('status keeps an error wire number it does not know', () => {
    const bytes = encodeCbor(
      new Map<string, never>([
        ['t', 'status' as never],
        ['v', 1 as never],
        ['state', 9 as never],
        ['err', 0x01ff as never],
      ]),
    );
    const m = decodeMessage(bytes) as StatusMessage;
    expect(m.error).toBeUndefined();
    expect(m.unknownErrorWire).toBe(0x01ff);
    expect(encodeMessage(m)).toEqual(bytes);
  });

  it('scan results', () => {
    expect(verdict({ type: 'scan', networks: Array(MAX_SCAN_RESULTS).fill(network) })).toBe('ok');
    expect(verdict({ type: 'scan', networks: Array(MAX_SCAN_RESULTS + 1).fill(network) })).toBe('MESSAGE_INVALID');
    expect(
      verdict({
        type: 'scan',
        networks: [
          { ...network, rssi: MIN_RSSI_DBM },
          { ...network, rssi: MAX_RSSI_DBM },
        ],
      }),
    ).toBe('ok');
    expect(verdict({ type: 'scan', networks: [{ ...network, rssi: MIN_RSSI_DBM - 1 }] })).toBe('MESSAGE_INVALID');
    expect(verdict({ type: 'scan', networks: [{ ...network, rssi: 1 }] })).toBe('MESSAGE_INVALID');
    expect(verdict({ type: 'scan', networks: [{ ...network, channel: MAX_WIFI_CHANNEL + 1 }] })).toBe(
      'MESSAGE_INVALID',
    );
    expect(verdict({ type: 'scan', networks: [{ ...network, channel: 0 }] })).toBe('MESSAGE_INVALID');
    expect(verdict({ type: 'scan', networks: [{ ...network, security: 'wpa4' as never }] })).toBe('MESSAGE_INVALID');
    expect(
      decodeVerdict([
        ['t', 'scan'],
        ['v', 1],
        [
          'nets',
          [
            new Map<string, unknown>([
              ['ssid', utf8('a')],
              ['rssi', -1],
              ['sec', 'open'],
              ['ch', 1],
              ['x', 0],
            ]),
          ],
        ],
      ]),
    ).toBe('MESSAGE_INVALID');
    expect(
      decodeVerdict([
        ['t', 'scan'],
        ['v', 1],
        ['nets', [1]],
      ]),
    ).toBe('MESSAGE_INVALID');
  });

  it('info document', () => {
    expect(verdict({ ...info, features: Array.from({ length: MAX_FEATURES }, (_, i) => `f${i}`) })).toBe('ok');
    expect(verdict({ ...info, features: Array.from({ length: MAX_FEATURES + 1 }, (_, i) => `f${i}`) })).toBe(
      'MESSAGE_INVALID',
    );
    expect(verdict({ ...info, features: ['wifiScan', 'wifiScan'] })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, features: ['futureThing'] })).toBe('ok');
    expect(verdict({ ...info, model: 'm'.repeat(MAX_MODEL_BYTES + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, firmware: 'f'.repeat(MAX_FIRMWARE_BYTES + 1) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, deviceId: 'bad id' })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, deviceId: 'd'.repeat(33) })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, versions: [] })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, versions: [2, 1] })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, security: [] })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, attPayload: [19, 512] })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, attPayload: [20, 513] })).toBe('MESSAGE_INVALID');
    expect(verdict({ ...info, attPayload: [200, 100] })).toBe('MESSAGE_INVALID');
  });

  it('control commands', () => {
    for (const command of ['scan', 'commit', 'abort', 'factoryReset'] as const)
      expect(verdict({ type: 'control', command })).toBe('ok');
    expect(verdict({ type: 'control', command: 'reboot' as never })).toBe('MESSAGE_INVALID');
  });
});

describe('message size', () => {
  it('refuses encoded messages above MAX_ENCODED_MESSAGE_BYTES on both sides', () => {
    const big = new Uint8Array(MAX_ENCODED_MESSAGE_BYTES + 1);
    expect(codeOf(() => decodeMessage(big))).toBe('ProtocolError:MESSAGE_TOO_LARGE');
    // a claim near the limit: 4 KiB PEMs x3 + 16 parameters of 256 bytes
    const fat: ClaimMessage = {
      ...claim,
      certificatePem: pemOf('CERTIFICATE', MAX_CERTIFICATE_PEM_BYTES),
      privateKeyPem: pemOf('PRIVATE KEY', MAX_PRIVATE_KEY_PEM_BYTES),
      caPem: pemOf('CERTIFICATE', MAX_CA_PEM_BYTES),
      parameters: Object.fromEntries(
        Array.from({ length: MAX_TEMPLATE_PARAMETERS }, (_, i) => [
          `p${i}`.padEnd(MAX_PARAMETER_NAME_BYTES, 'x'),
          'v'.repeat(MAX_PARAMETER_VALUE_BYTES),
        ]),
      ),
    };
    expect(encodeMessage(fat).length).toBeLessThanOrEqual(MAX_ENCODED_MESSAGE_BYTES);
  });

  it('keeps the info document within one read value (512 bytes)', () => {
    const fat: InfoMessage = {
      ...info,
      features: Array.from({ length: MAX_FEATURES }, (_, i) => `feature-${i}`.padEnd(32, 'x')),
    };
    expect(codeOf(() => encodeMessage(fat))).toBe('UsageError:MESSAGE_TOO_LARGE');
  });
});

describe('hostile CBOR', () => {
  it('turns deep nesting and huge declared lengths into ProtocolErrors', () => {
    for (const depth of [1000, 16_000]) {
      const deep = new Uint8Array(depth + 1).fill(0x81);
      deep[depth] = 0x01;
      expect(codeOf(() => decodeMessage(deep))).toMatch(/^ProtocolError:(CBOR_MALFORMED|MESSAGE_INVALID)$/);
    }
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)))).toBe(
      'ProtocolError:CBOR_MALFORMED',
    );
    expect(codeOf(() => decodeMessage(Uint8Array.of(0xbb, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)))).toBe(
      'ProtocolError:CBOR_MALFORMED',
    );
    // A tag is outside the profile: malformed at check 2, before the top-level type is looked at (PROTOCOL.md §5.1).
    expect(codeOf(() => decodeMessage(Uint8Array.of(0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0)))).toBe(
      'ProtocolError:CBOR_MALFORMED',
    ); // a tagged date
  });
});
