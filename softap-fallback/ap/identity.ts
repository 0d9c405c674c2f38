/**
 * What the setup access point is called and how it is locked, as functions of the device.
 *
 * SSID: `<prefix>-<deviceId>` (e.g. "Setup-pi-00af3c"), so a person matches it to the label next to
 * the QR code. When that exceeds 32 bytes, the tail of the id is kept (serial numbers differ at the
 * end) and 4 hex digits of SHA-256(deviceId) are appended so two truncated ids still differ.
 *
 * Passphrase: derived with HKDF-SHA256 from a device secret of at least 256 bits, never from the
 * setup code. Why derived: it is stable across reboots and reinstalls without storing another
 * secret, and the factory tool that prints the label computes the same value from the same secret.
 * Why never the setup code: a captured WPA2 4-way handshake allows an offline guessing attack on
 * the passphrase; a passphrase derived from the low-entropy setup code would let that attack recover
 * the setup code and defeat the online attempt limit of the SPAKE2+ session.
 * `generatePassphrase` is the alternative for devices without a device secret: random, and the
 * caller must store it (0600) and show it (label printer, display) itself.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { isValidDeviceId } from '../../protocol/session/index.js';
import { configInvalid } from './errors.js';
import { validateSsid } from './config.js';
import {
  DEFAULT_SSID_PREFIX,
  DEVICE_SECRET_MIN_BYTES,
  PASSPHRASE_ALPHABET,
  PASSPHRASE_GROUP_CHARS,
  PASSPHRASE_GROUPS,
  SSID_MAX_BYTES,
  SSID_PREFIX_MAX_BYTES,
} from './limits.js';

/** HKDF domain separation: bump the version if the derivation ever changes (labels would change). */
export const PASSPHRASE_HKDF_SALT = new TextEncoder().encode('trusted-provisioning/softap');
export const PASSPHRASE_HKDF_INFO_PREFIX = 'wpa2-passphrase/v1/';

const SSID_HASH_HEX_CHARS = 4;

function checkDeviceId(deviceId: string): void {
  if (!isValidDeviceId(deviceId)) configInvalid('deviceId', 'must be 1-32 characters of A-Z a-z 0-9 . _ -');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The SSID of a device's setup access point (see the module comment for the rule). */
export function ssidForDevice(deviceId: string, prefix: string = DEFAULT_SSID_PREFIX): string {
  checkDeviceId(deviceId);
  validateSsid(prefix, 'ssidPrefix');
  if (new TextEncoder().encode(prefix).length > SSID_PREFIX_MAX_BYTES)
    configInvalid('ssidPrefix', `must be at most ${SSID_PREFIX_MAX_BYTES} bytes`);
  const prefixBytes = new TextEncoder().encode(prefix).length;
  const whole = `${prefix}-${deviceId}`;
  if (prefixBytes + 1 + deviceId.length <= SSID_MAX_BYTES) return whole;
  const digest = hex(sha256(new TextEncoder().encode(deviceId))).slice(0, SSID_HASH_HEX_CHARS);
  const tailLength = SSID_MAX_BYTES - prefixBytes - 1 - 1 - SSID_HASH_HEX_CHARS;
  return `${prefix}-${deviceId.slice(-tailLength)}-${digest}`;
}

/** Maps bytes to groups of the unambiguous alphabet, 5 bits a symbol: `XXXX-XXXX-XXXX-XXXX`. */
function encodePassphrase(bytes: Uint8Array): string {
  const symbols: string[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && symbols.length < PASSPHRASE_GROUPS * PASSPHRASE_GROUP_CHARS) {
      bits -= 5;
      symbols.push(PASSPHRASE_ALPHABET[(acc >>> bits) & 31] as string);
    }
    acc &= (1 << bits) - 1;
  }
  const groups: string[] = [];
  for (let i = 0; i < PASSPHRASE_GROUPS; i++)
    groups.push(symbols.slice(i * PASSPHRASE_GROUP_CHARS, (i + 1) * PASSPHRASE_GROUP_CHARS).join(''));
  return groups.join('-');
}

const PASSPHRASE_SOURCE_BYTES = Math.ceil((PASSPHRASE_GROUPS * PASSPHRASE_GROUP_CHARS * 5) / 8);

/** The per-device WPA2 passphrase, HKDF-SHA256(secret, salt, "wpa2-passphrase/v1/" + deviceId). */
export function derivePassphrase(deviceSecret: Uint8Array, deviceId: string): string {
  checkDeviceId(deviceId);
  if (!(deviceSecret instanceof Uint8Array) || deviceSecret.length < DEVICE_SECRET_MIN_BYTES) {
    configInvalid('deviceSecret', `must be at least ${DEVICE_SECRET_MIN_BYTES} bytes`);
  }
  const info = new TextEncoder().encode(PASSPHRASE_HKDF_INFO_PREFIX + deviceId);
  return encodePassphrase(hkdf(sha256, deviceSecret, PASSPHRASE_HKDF_SALT, info, PASSPHRASE_SOURCE_BYTES));
}

/** A random passphrase in the same format, from an injected CSPRNG (`(n) => crypto.getRandomValues(new Uint8Array(n))`). */
export function generatePassphrase(random: (length: number) => Uint8Array): string {
  const bytes = random(PASSPHRASE_SOURCE_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length !== PASSPHRASE_SOURCE_BYTES)
    throw new RangeError(`the random source must return ${PASSPHRASE_SOURCE_BYTES} bytes`);
  return encodePassphrase(bytes);
}
