/**
 * Message types of the provisioning protocol, schema version 1 (PROTOCOL.md §5), and their limits.
 * Every limit is a named constant with its unit; PROTOCOL.md §5 lists them all.
 *
 * On the wire each message is one CBOR map with text keys, in the deterministic encoding of
 * RFC 8949 §4.2.1; `t` names the type and `v` the schema version. Encoding and strict decoding live
 * in protocol/codec.ts.
 */
import type { ErrorCode } from './errors.js';
import type { ProvisioningState, ControlCommand } from './states.js';

/** Schema versions this implementation speaks (PROTOCOL.md §5.1). */
export const SCHEMA_VERSION = 1;
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1];

export type MessageType = 'info' | 'wifi' | 'claim' | 'control' | 'status' | 'scan';
export const MESSAGE_TYPES: readonly MessageType[] = ['info', 'wifi', 'claim', 'control', 'status', 'scan'];

// ---- limits (PROTOCOL.md §5.9) ---------------------------------------------------------------
/** Device id: 1-32 characters of A-Z a-z 0-9 . _ - (same rule as SESSION.md §3). */
export const DEVICE_ID_MAX_CHARS = 32;
/** SSID length in bytes (IEEE 802.11). */
export const SSID_MIN_BYTES = 1;
export const SSID_MAX_BYTES = 32;
/** WPA passphrase: 8-63 printable ASCII characters (0x20-0x7e), or exactly 64 hex digits (a PSK). */
export const PASSPHRASE_MIN_CHARS = 8;
export const PASSPHRASE_MAX_CHARS = 63;
export const PSK_HEX_CHARS = 64;
/** PEM texts in UTF-8 bytes: enough for RSA-4096 keys and certificates. */
export const MAX_CERTIFICATE_PEM_BYTES = 4096;
export const MAX_PRIVATE_KEY_PEM_BYTES = 4096;
export const MAX_CA_PEM_BYTES = 4096;
/** DNS host name of the AWS IoT endpoint, bytes (RFC 1035). */
export const MAX_HOST_BYTES = 253;
/** AWS IoT provisioning template names: 1-36 of [0-9A-Za-z_-]. */
export const MAX_TEMPLATE_NAME_CHARS = 36;
/** Template parameters: at most 16 entries; names 1-64 bytes; values 0-128 bytes (UTF-8). The largest claim (three 4 KiB PEMs and full parameters) still fits MAX_ENCODED_MESSAGE_BYTES. */
export const MAX_TEMPLATE_PARAMETERS = 16;
export const MAX_PARAMETER_NAME_BYTES = 64;
export const MAX_PARAMETER_VALUE_BYTES = 128;
/** Status `step` label and error `detail`, UTF-8 bytes. */
export const MAX_STEP_BYTES = 64;
export const MAX_DETAIL_BYTES = 128;
/** Result fields: thing name (AWS: 1-128) and certificate id (64 hex digits). */
export const MAX_THING_NAME_BYTES = 128;
export const CERTIFICATE_ID_CHARS = 64;
/** Scan results per message. */
export const MAX_SCAN_RESULTS = 32;
/** Info document: features, each feature name, security schemes, model and firmware strings. */
export const MAX_FEATURES = 16;
export const MAX_FEATURE_CHARS = 32;
export const MAX_SECURITY_SCHEMES = 4;
export const MAX_SCHEME_CHARS = 48;
export const MAX_VERSIONS = 8;
export const MAX_MODEL_BYTES = 64;
export const MAX_FIRMWARE_BYTES = 32;
/** Wi-Fi channel numbers accepted in scan results (2.4, 5 and 6 GHz bands). */
export const MIN_WIFI_CHANNEL = 1;
export const MAX_WIFI_CHANNEL = 233;
/** RSSI in dBm. */
export const MIN_RSSI_DBM = -127;
export const MAX_RSSI_DBM = 0;

/** The security scheme of SESSION.md (SPAKE2+ P-256 then AES-256-GCM). */
export const SECURITY_SCHEME_SPAKE2P = 'spake2p-p256-aes256gcm';

export type Feature = 'wifiScan' | 'claimTransfer' | 'csrOnDevice' | 'keysOnCloud' | 'softap';

export type WifiSecurity = 'open' | 'wep' | 'wpa' | 'wpa2' | 'wpa3' | 'wpa2wpa3' | 'enterprise';
export const WIFI_SECURITIES: readonly WifiSecurity[] = [
  'open',
  'wep',
  'wpa',
  'wpa2',
  'wpa3',
  'wpa2wpa3',
  'enterprise',
];

/** How the device obtains its permanent certificate (DESIGN.md step 6). */
export type CertificateMode = 'csr' | 'keys';

// ---- messages -------------------------------------------------------------------------------

/** `info` (device, readable in clear before any session): the capability document. */
export interface InfoMessage {
  readonly type: 'info';
  /** Schema versions of this document set the device speaks, ascending. */
  readonly versions: readonly number[];
  /** Security schemes, preferred first (e.g. {@link SECURITY_SCHEME_SPAKE2P}). */
  readonly security: readonly string[];
  /** Largest message (framed bytes, after sealing) the device accepts, bytes. */
  readonly maxMessage: number;
  /** Smallest and largest ATT payload (ATT_MTU - 3) the device handles, bytes. */
  readonly attPayload: readonly [number, number];
  /** Features; unknown feature names from newer devices are kept and ignored. */
  readonly features: readonly string[];
  readonly state: ProvisioningState;
  /** Device identity (SESSION.md §3 `n`). */
  readonly deviceId: string;
  readonly model?: string;
  readonly firmware?: string;
}

/** `wifi` (phone, sealed): the network to join. No passphrase = open network. */
export interface WifiMessage {
  readonly type: 'wifi';
  /** 1-32 bytes, any content (SSIDs need not be UTF-8). */
  readonly ssid: Uint8Array;
  readonly passphrase?: string;
  readonly hidden?: boolean;
}

/** `claim` (phone, sealed): the fleet-provisioning claim and where to use it. */
export interface ClaimMessage {
  readonly type: 'claim';
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** CA bundle for the endpoint, when the device should not use its built-in trust store. */
  readonly caPem?: string;
  readonly host: string;
  readonly port: number;
  readonly templateName: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** Claim expiry, seconds since the Unix epoch (UTC). */
  readonly expiresAt: number;
  /** Defaults to 'csr' (the permanent key never leaves the device). */
  readonly certificateMode?: CertificateMode;
}

/** `control` (phone, sealed): one command. */
export interface ControlMessage {
  readonly type: 'control';
  readonly command: ControlCommand;
}

export interface StatusResult {
  readonly thingName: string;
  readonly certificateId: string;
}

/**
 * The `step` of the status that acknowledges an accepted `wifi` or `claim` message (PROTOCOL.md
 * §5.7): the device sends it once the message is stored; a rejection is a status with `err` instead.
 */
export const ACCEPTED_STEP = { wifi: 'wifi accepted', claim: 'claim accepted' } as const;

/** `status` (device, sealed; notified on every change and readable). */
export interface StatusMessage {
  readonly type: 'status';
  readonly state: ProvisioningState;
  /** Human label of the current step (non-secret). */
  readonly step?: string;
  /** 0-100 percent of the whole provisioning run. */
  readonly progress?: number;
  /** The error, as its code (travels as the wire number, errors.ts). */
  readonly error?: ErrorCode;
  /** A wire number this implementation does not know (a newer peer); only set by decode. */
  readonly unknownErrorWire?: number;
  readonly detail?: string;
  readonly result?: StatusResult;
}

export interface ScanNetwork {
  readonly ssid: Uint8Array;
  readonly rssi: number;
  readonly security: WifiSecurity;
  readonly channel: number;
}

/** `scan` (device, sealed): the result of a `scan` command, strongest first. */
export interface ScanMessage {
  readonly type: 'scan';
  readonly networks: readonly ScanNetwork[];
}

export type Message = InfoMessage | WifiMessage | ClaimMessage | ControlMessage | StatusMessage | ScanMessage;
