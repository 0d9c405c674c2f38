/**
 * Sample messages for the test vectors (PROTOCOL.md §8). The PEM texts are syntactically valid PEM
 * with deterministic filler content (the codec checks PEM framing, not X.509), so the vectors are
 * reproducible byte for byte.
 */
import type { Message } from '../messages.js';

function filler(bytes: number, seed: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += alphabet[(x >>> 16) & 63];
  }
  return s;
}

function pem(label: string, base64Chars: number, seed: number): string {
  const body = filler(base64Chars, seed)
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A claim certificate and key of realistic size (RSA-2048: ~1.2 KB and ~1.7 KB of PEM). */
export const SAMPLE_CERTIFICATE_PEM = pem('CERTIFICATE', 1176, 1);
export const SAMPLE_PRIVATE_KEY_PEM = pem('RSA PRIVATE KEY', 1588, 2);

export interface Sample {
  readonly name: string;
  readonly message: Message;
}

export const SAMPLES: readonly Sample[] = [
  {
    name: 'info',
    message: {
      type: 'info',
      versions: [1],
      security: ['spake2p-p256-aes256gcm'],
      maxMessage: 16_384,
      attPayload: [20, 512],
      features: ['wifiScan', 'claimTransfer', 'csrOnDevice'],
      state: 'idle',
      deviceId: 'pi-kitchen',
      model: 'Raspberry Pi 4 Model B',
      firmware: '0.1.0',
    },
  },
  {
    name: 'wifi-wpa2',
    message: { type: 'wifi', ssid: utf8('Kitchen-5G'), passphrase: 'correct horse battery staple' },
  },
  { name: 'wifi-open-hidden', message: { type: 'wifi', ssid: utf8('Guest'), hidden: true } },
  {
    name: 'wifi-psk-hex',
    message: {
      type: 'wifi',
      ssid: Uint8Array.of(0xff, 0x00, 0x41),
      passphrase: '0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef',
    },
  },
  {
    name: 'claim',
    message: {
      type: 'claim',
      certificatePem: SAMPLE_CERTIFICATE_PEM,
      privateKeyPem: SAMPLE_PRIVATE_KEY_PEM,
      host: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
      port: 8883,
      templateName: 'TrustedUserProvisioningTemplate',
      parameters: { SerialNumber: 'RPI4-00000000a1b2c3d4', DeviceLocation: 'Kitchen' },
      expiresAt: 1_795_000_000,
    },
  },
  {
    name: 'claim-with-ca-keys-mode',
    message: {
      type: 'claim',
      certificatePem: SAMPLE_CERTIFICATE_PEM,
      privateKeyPem: SAMPLE_PRIVATE_KEY_PEM,
      caPem: pem('CERTIFICATE', 1100, 3),
      host: '127.0.0.1',
      port: 18883,
      templateName: 'local-template',
      parameters: {},
      expiresAt: 1_795_000_300,
      certificateMode: 'keys',
    },
  },
  { name: 'control-scan', message: { type: 'control', command: 'scan' } },
  { name: 'control-commit', message: { type: 'control', command: 'commit' } },
  { name: 'control-abort', message: { type: 'control', command: 'abort' } },
  { name: 'control-factory-reset', message: { type: 'control', command: 'factoryReset' } },
  {
    name: 'status-progress',
    message: { type: 'status', state: 'wifiConnecting', step: 'joining Kitchen-5G', progress: 20 },
  },
  {
    name: 'status-failed',
    message: { type: 'status', state: 'failed', error: 'WIFI_AUTH_FAILED', detail: 'association rejected (reason 15)' },
  },
  {
    name: 'status-provisioned',
    message: {
      type: 'status',
      state: 'provisioned',
      progress: 100,
      result: {
        thingName: 'pi-kitchen',
        certificateId: 'a3f5c2e8b1d94f7e6a0c3b5d8e2f1a4c7b9d0e3f6a2c5b8d1e4f7a0c3b6d9e2f',
      },
    },
  },
  {
    name: 'scan',
    message: {
      type: 'scan',
      networks: [
        { ssid: utf8('Kitchen-5G'), rssi: -41, security: 'wpa2wpa3', channel: 36 },
        { ssid: utf8('Kitchen'), rssi: -55, security: 'wpa2', channel: 6 },
        { ssid: utf8('Guest'), rssi: -80, security: 'open', channel: 11 },
      ],
    },
  },
];

// Tiny CBOR writers for hand-made invalid inputs (the codec would refuse to produce them).
const hex = (b: Uint8Array | number[]) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const tstr = (x: string) => {
  const b = utf8(x);
  return (b.length < 24 ? hex([0x60 + b.length]) : hex([0x78, b.length])) + hex(b);
};
const bstr = (b: Uint8Array) => (b.length < 24 ? hex([0x40 + b.length]) : hex([0x58, b.length])) + hex(b);
const map = (n: number, ...items: string[]) => hex([0xa0 + n]) + items.join('');
const T = (type: string) => tstr('t') + tstr(type);
const V1 = tstr('v') + '01';

/** Inputs every receiver MUST reject, with the error code (PROTOCOL.md §8). Hex CBOR. */
export const INVALID_SAMPLES: readonly { readonly name: string; readonly cbor: string; readonly error: string }[] = [
  { name: 'empty input', cbor: '', error: 'CBOR_MALFORMED' },
  { name: 'truncated map', cbor: map(3, T('control'), V1), error: 'CBOR_MALFORMED' },
  { name: 'trailing byte', cbor: map(3, T('control'), V1, tstr('cmd') + tstr('scan')) + '00', error: 'CBOR_MALFORMED' },
  {
    name: 'keys not in deterministic order',
    cbor: map(3, V1, T('control'), tstr('cmd') + tstr('scan')),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'duplicate key',
    cbor: map(4, T('control'), V1, tstr('cmd') + tstr('scan'), tstr('cmd') + tstr('scan')),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'non-shortest integer',
    cbor: map(3, T('control'), tstr('v') + '1801', tstr('cmd') + tstr('scan')),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'non-shortest text length',
    cbor: map(3, T('control'), V1, tstr('cmd') + '7804' + hex(utf8('scan'))),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'indefinite-length text',
    cbor: map(3, T('control'), V1, tstr('cmd') + '7f' + tstr('sc') + tstr('an') + 'ff'),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'float where an integer belongs',
    cbor: map(3, T('status'), V1, tstr('state') + 'f94000'),
    error: 'CBOR_MALFORMED',
  },
  // A float is malformed at check 2 whatever its value, before any schema check (PROTOCOL.md §5.1).
  {
    name: 'float 2.5 where an integer belongs',
    cbor: map(3, T('status'), V1, tstr('state') + 'f94100'),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'float where text belongs',
    cbor: map(3, T('control'), V1, tstr('cmd') + 'fa40490fdb'),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'float in an unknown field',
    cbor: map(4, T('control'), V1, tstr('x') + 'f93c00', tstr('cmd') + tstr('scan')),
    error: 'CBOR_MALFORMED',
  },
  {
    name: 'float version',
    cbor: map(3, T('control'), tstr('v') + 'f93c00', tstr('cmd') + tstr('scan')),
    error: 'CBOR_MALFORMED',
  },
  { name: 'null where text belongs', cbor: map(3, T('control'), V1, tstr('cmd') + 'f6'), error: 'CBOR_MALFORMED' },
  {
    name: 'tagged byte string',
    cbor: map(3, T('wifi'), V1, tstr('ssid') + 'd840' + bstr(utf8('home'))),
    error: 'CBOR_MALFORMED',
  },
  { name: 'top level is an array', cbor: '820102', error: 'MESSAGE_INVALID' },
  { name: 'integer key', cbor: map(3, T('control'), V1, '01' + tstr('scan')), error: 'MESSAGE_INVALID' },
  { name: 'missing type', cbor: map(1, V1), error: 'MESSAGE_INVALID' },
  { name: 'missing version', cbor: map(1, T('control')), error: 'MESSAGE_INVALID' },
  { name: 'unknown type', cbor: map(2, T('tell'), V1), error: 'MESSAGE_UNKNOWN_TYPE' },
  {
    name: 'unknown version',
    cbor: map(3, T('control'), tstr('v') + '02', tstr('cmd') + tstr('scan')),
    error: 'VERSION_UNSUPPORTED',
  },
  { name: 'unknown command', cbor: map(3, T('control'), V1, tstr('cmd') + tstr('boom')), error: 'MESSAGE_INVALID' },
  {
    name: 'unknown field',
    cbor: map(4, T('control'), V1, tstr('x') + '00', tstr('cmd') + tstr('scan')),
    error: 'MESSAGE_INVALID',
  },
  {
    name: 'text where bytes belong (ssid)',
    cbor: map(3, T('wifi'), V1, tstr('ssid') + tstr('home')),
    error: 'MESSAGE_INVALID',
  },
  {
    name: 'ssid of 0 bytes',
    cbor: map(3, T('wifi'), V1, tstr('ssid') + bstr(new Uint8Array(0))),
    error: 'MESSAGE_INVALID',
  },
  {
    name: 'ssid of 33 bytes',
    cbor: map(3, T('wifi'), V1, tstr('ssid') + bstr(new Uint8Array(33).fill(0x61))),
    error: 'MESSAGE_INVALID',
  },
  {
    name: 'passphrase of 7 characters',
    cbor: map(4, T('wifi'), V1, tstr('pass') + tstr('1234567'), tstr('ssid') + bstr(utf8('a'))),
    error: 'MESSAGE_INVALID',
  },
  {
    name: 'passphrase of 64 non-hex characters',
    cbor: map(4, T('wifi'), V1, tstr('pass') + tstr('g'.repeat(64)), tstr('ssid') + bstr(utf8('a'))),
    error: 'MESSAGE_INVALID',
  },
];
