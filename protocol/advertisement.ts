/**
 * Advertising content (PROTOCOL.md §3): what a phone sees without connecting. Legacy advertising,
 * so the advertising data and the scan response are each at most 31 bytes.
 *
 *   advertising data = Flags (3) + Complete List of 128-bit Service UUIDs (18) + Local Name (2 + 1..8)
 *   scan response    = Service Data - 128-bit UUID (2 + 16 + 6): [state code, version << 4 | flags, id tag (4)]
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { UsageError } from './errors.js';
import { SERVICE_UUID, compactUuid } from './gatt.js';
import { SCHEMA_VERSION } from './messages.js';
import { stateCode, stateFromCode, type ProvisioningState } from './states.js';

/** Legacy advertising PDU payload limit, bytes (Core Spec Vol 6 Part B §2.3.1). */
export const LEGACY_ADV_MAX_BYTES = 31;
/** Characters of the device id that fit the advertising data after Flags and the UUID list. */
export const ADV_NAME_MAX_CHARS = 8;

export const AD_FLAGS = 0x01;
export const AD_COMPLETE_128_UUIDS = 0x07;
export const AD_INCOMPLETE_128_UUIDS = 0x06;
export const AD_SHORTENED_NAME = 0x08;
export const AD_COMPLETE_NAME = 0x09;
export const AD_SERVICE_DATA_128 = 0x21;
/** LE General Discoverable Mode | BR/EDR Not Supported. */
export const ADV_FLAGS_VALUE = 0x06;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Bytes of the device id tag in the service data: tells apart ids that share their first 8 characters. */
export const ADV_ID_TAG_BYTES = 4;
/** Domain separation for the id tag hash. */
const ID_TAG_LABEL = 'tup-adv-id:';

/** Low-nibble flags of the service data's second byte. */
export const ADV_FLAG_SESSION_ACTIVE = 0x01;
export const ADV_FLAG_SOFTAP_ACTIVE = 0x02;

export interface AdvertisementInput {
  readonly deviceId: string;
  readonly state: ProvisioningState;
  readonly sessionActive?: boolean;
  readonly softapActive?: boolean;
  /** The device id tag (deviceIdTag), when the service data carries one. */
  readonly idTag?: Uint8Array;
}

export interface AdvertisementPayloads {
  readonly advertisingData: Uint8Array;
  readonly scanResponse: Uint8Array;
}

/** The service UUID as it travels in AD structures: 16 bytes, little-endian. */
export function uuidToAdBytes(uuid: string): Uint8Array {
  const hex = compactUuid(uuid);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[15 - i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const SERVICE_UUID_AD = uuidToAdBytes(SERVICE_UUID);

/** The advertised local name: the device id when it fits, else its first 8 characters (shortened). */
export function advertisedName(deviceId: string): { name: string; complete: boolean } {
  return deviceId.length <= ADV_NAME_MAX_CHARS
    ? { name: deviceId, complete: true }
    : { name: deviceId.slice(0, ADV_NAME_MAX_CHARS), complete: false };
}

function ad(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + data.length);
  out[0] = 1 + data.length;
  out[1] = type;
  out.set(data, 2);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The first 4 bytes of SHA-256("tup-adv-id:" || device id): advertised so a phone can pick the device
 * its QR code names among devices whose ids share the 8 advertised characters, without connecting.
 * Not a secret (the id is printed on the device) and not an authenticator (the session is).
 */
export function deviceIdTag(deviceId: string): Uint8Array {
  return sha256(new TextEncoder().encode(ID_TAG_LABEL + deviceId)).subarray(0, ADV_ID_TAG_BYTES);
}

/**
 * Whether an advertisement can be the device `deviceId`: the complete name equals it, or the
 * shortened name is its prefix; and the id tag, when present, matches. A shortened name without a
 * tag (the scan response not received yet) does not match: the phone waits for it rather than guess.
 */
export function advertisementNames(
  ad: { localName?: string; nameComplete: boolean; idTag?: Uint8Array },
  deviceId: string,
): boolean {
  const name = ad.localName;
  if (name === undefined) return false;
  const nameFits = ad.nameComplete
    ? name === deviceId
    : name.length === ADV_NAME_MAX_CHARS && deviceId.startsWith(name);
  if (!nameFits) return false;
  return ad.idTag !== undefined ? sameBytes(ad.idTag, deviceIdTag(deviceId)) : ad.nameComplete;
}

export function buildAdvertisement(input: AdvertisementInput): AdvertisementPayloads {
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(input.deviceId))
    throw new UsageError('CONFIG_INVALID', { detail: 'device id must be 1-32 characters of A-Z a-z 0-9 . _ -' });
  const { name, complete } = advertisedName(input.deviceId);
  const advertisingData = concat([
    ad(AD_FLAGS, Uint8Array.of(ADV_FLAGS_VALUE)),
    ad(AD_COMPLETE_128_UUIDS, SERVICE_UUID_AD),
    ad(complete ? AD_COMPLETE_NAME : AD_SHORTENED_NAME, new TextEncoder().encode(name)),
  ]);
  const flags = (input.sessionActive ? ADV_FLAG_SESSION_ACTIVE : 0) | (input.softapActive ? ADV_FLAG_SOFTAP_ACTIVE : 0);
  const scanResponse = ad(
    AD_SERVICE_DATA_128,
    concat([
      SERVICE_UUID_AD,
      Uint8Array.of(stateCode(input.state), (SCHEMA_VERSION << 4) | flags),
      deviceIdTag(input.deviceId),
    ]),
  );
  return { advertisingData, scanResponse };
}

export interface ParsedAdvertisement {
  /** The device id, or its first 8 characters when `nameComplete` is false. */
  readonly localName?: string;
  readonly nameComplete: boolean;
  /** From the scan response; undefined if it is absent or malformed. */
  readonly state?: ProvisioningState;
  /** Raw state code (also set for codes unknown to this version). */
  readonly stateCode?: number;
  readonly version?: number;
  readonly sessionActive?: boolean;
  readonly softapActive?: boolean;
  /** The device id tag (deviceIdTag), when the service data carries one. */
  readonly idTag?: Uint8Array;
}

/** Splits AD structures; returns undefined if a length runs past the end. */
export function parseAdStructures(data: Uint8Array): { type: number; data: Uint8Array }[] | undefined {
  const out: { type: number; data: Uint8Array }[] = [];
  let i = 0;
  while (i < data.length) {
    const len = data[i]!;
    if (len === 0) break; // early termination is allowed (Core Spec Vol 3 Part C §11)
    if (i + 1 + len > data.length) return undefined;
    out.push({ type: data[i + 1]!, data: data.subarray(i + 2, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}

/**
 * Reads a (possibly foreign) advertisement: undefined unless it lists our service UUID. Never
 * throws: a phone scans among arbitrary devices.
 */
export function parseAdvertisement(
  advertisingData: Uint8Array,
  scanResponse?: Uint8Array,
): ParsedAdvertisement | undefined {
  const structures = [
    ...(parseAdStructures(advertisingData) ?? []),
    ...(scanResponse ? (parseAdStructures(scanResponse) ?? []) : []),
  ];
  const listed = structures.some(
    (s) =>
      (s.type === AD_COMPLETE_128_UUIDS || s.type === AD_INCOMPLETE_128_UUIDS) &&
      s.data.length % 16 === 0 &&
      Array.from({ length: s.data.length / 16 }, (_, k) => s.data.subarray(k * 16, k * 16 + 16)).some((u) =>
        sameBytes(u, SERVICE_UUID_AD),
      ),
  );
  if (!listed) return undefined;
  let result: { -readonly [K in keyof ParsedAdvertisement]: ParsedAdvertisement[K] } = { nameComplete: false };
  for (const s of structures) {
    if (s.type === AD_COMPLETE_NAME || s.type === AD_SHORTENED_NAME) {
      result.localName = new TextDecoder('utf-8', { fatal: false }).decode(s.data);
      result.nameComplete = s.type === AD_COMPLETE_NAME;
    } else if (
      s.type === AD_SERVICE_DATA_128 &&
      s.data.length >= 18 &&
      sameBytes(s.data.subarray(0, 16), SERVICE_UUID_AD)
    ) {
      const code = s.data[16]!;
      const vf = s.data[17]!;
      const state = stateFromCode(code);
      result = {
        ...result,
        stateCode: code,
        ...(state !== undefined && { state }),
        version: vf >> 4,
        sessionActive: (vf & ADV_FLAG_SESSION_ACTIVE) !== 0,
        softapActive: (vf & ADV_FLAG_SOFTAP_ACTIVE) !== 0,
        ...(s.data.length >= 18 + ADV_ID_TAG_BYTES && { idTag: s.data.slice(18, 18 + ADV_ID_TAG_BYTES) }),
      };
    }
  }
  return result;
}
