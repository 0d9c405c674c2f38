/**
 * GATT layout of the provisioning service (PROTOCOL.md §2): one primary 128-bit service, seven
 * characteristics, and the small numeric channel id of each characteristic. The channel id is what
 * the secure session binds as AEAD associated data (protocol/cipher.ts), so a sealed message cannot
 * be moved from one characteristic to another.
 */

/** Builds a UUID of this service's family: base `8f1a0000-4c3b-4e2a-9d6f-5b7e2c1d0a39`, slot in bytes 2-3. */
function familyUuid(slot: number): string {
  return `8f1a${slot.toString(16).padStart(4, '0')}-4c3b-4e2a-9d6f-5b7e2c1d0a39`;
}

/** The primary service (lower-case, dashed form). */
export const SERVICE_UUID = familyUuid(0x0000);

export type CharacteristicName = 'info' | 'session' | 'wifi' | 'claim' | 'control' | 'status' | 'scan';

export type CharacteristicProperty = 'read' | 'write' | 'writeWithoutResponse' | 'notify';

export interface CharacteristicSpec {
  readonly name: CharacteristicName;
  readonly uuid: string;
  /** Channel id: AEAD associated data (SESSION.md §7.2) and the key of PROTOCOL.md §2 table. */
  readonly channel: number;
  readonly properties: readonly CharacteristicProperty[];
  /** Whether every message on it MUST be sealed by the secure session (SESSION.md §7.2). */
  readonly sealed: boolean;
  /** Who writes messages: the phone (central) or the device (peripheral, by notification/read). */
  readonly direction: 'phoneToDevice' | 'deviceToPhone' | 'both';
}

/** Channel ids (PROTOCOL.md §2). Stable forever; 0 is reserved. */
export const CHANNEL = {
  info: 1,
  session: 2,
  wifi: 3,
  claim: 4,
  control: 5,
  status: 6,
  scan: 7,
} as const satisfies Record<CharacteristicName, number>;

export const CHARACTERISTICS = {
  info: {
    name: 'info',
    uuid: familyUuid(0x0001),
    channel: CHANNEL.info,
    properties: ['read'],
    sealed: false,
    direction: 'deviceToPhone',
  },
  session: {
    name: 'session',
    uuid: familyUuid(0x0002),
    channel: CHANNEL.session,
    properties: ['write', 'writeWithoutResponse', 'notify'],
    sealed: false,
    direction: 'both',
  },
  wifi: {
    name: 'wifi',
    uuid: familyUuid(0x0003),
    channel: CHANNEL.wifi,
    properties: ['write', 'writeWithoutResponse'],
    sealed: true,
    direction: 'phoneToDevice',
  },
  claim: {
    name: 'claim',
    uuid: familyUuid(0x0004),
    channel: CHANNEL.claim,
    properties: ['write', 'writeWithoutResponse'],
    sealed: true,
    direction: 'phoneToDevice',
  },
  control: {
    name: 'control',
    uuid: familyUuid(0x0005),
    channel: CHANNEL.control,
    properties: ['write', 'writeWithoutResponse'],
    sealed: true,
    direction: 'phoneToDevice',
  },
  status: {
    name: 'status',
    uuid: familyUuid(0x0006),
    channel: CHANNEL.status,
    properties: ['read', 'notify'],
    sealed: true,
    direction: 'deviceToPhone',
  },
  scan: {
    name: 'scan',
    uuid: familyUuid(0x0007),
    channel: CHANNEL.scan,
    properties: ['notify'],
    sealed: true,
    direction: 'deviceToPhone',
  },
} as const satisfies Record<CharacteristicName, CharacteristicSpec>;

export const CHARACTERISTIC_NAMES = Object.keys(CHARACTERISTICS) as CharacteristicName[];

const BY_CHANNEL: ReadonlyMap<number, CharacteristicSpec> = new Map(
  CHARACTERISTIC_NAMES.map((n) => [CHARACTERISTICS[n].channel, CHARACTERISTICS[n]]),
);

/** The characteristic for a channel id, or undefined for an unknown id. */
export function characteristicByChannel(channel: number): CharacteristicSpec | undefined {
  return BY_CHANNEL.get(channel);
}

/** The UUID without dashes, lower case (what noble and bleno use). */
export function compactUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

/**
 * ATT payload sizes (ATT_MTU - 3) the framing handles (PROTOCOL.md §4). 20 is the payload of the
 * default ATT_MTU 23; 512 is the largest attribute value ATT allows.
 */
export const MIN_ATT_PAYLOAD = 20;
export const MAX_ATT_PAYLOAD = 512;

/** Longest value a read may return (info document, status read), in bytes: the ATT attribute limit. */
export const MAX_READ_VALUE_BYTES = 512;

/**
 * Largest handshake message in bytes (a `reply`: 2 + 2 + 65 + 2 + 32 = 103); anything longer is rejected
 * unread (SESSION.md §6.3). Defined here, with the other per-characteristic limits, for `session`.
 */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 128;
