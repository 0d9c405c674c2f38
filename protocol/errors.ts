/**
 * The one error hierarchy of the product, shared by the device, the phone, the SoftAP page and the
 * cloud-facing routines. Every failure that can reach a user carries a stable string `code` from
 * {@link ERROR_TABLE}; on the wire it travels as the numeric `wire` value (PROTOCOL.md, "Error codes").
 *
 * Messages never contain secrets (passwords, keys, tokens, setup codes): callers pass only
 * non-secret `detail` strings.
 */

export type ErrorCategory = 'protocol' | 'session' | 'wifi' | 'cloud' | 'device';

interface ErrorSpec {
  readonly wire: number;
  readonly category: ErrorCategory;
  readonly message: string;
}

/**
 * Wire numbers are grouped by category in the high byte: 0x01 protocol, 0x02 session, 0x03 Wi-Fi,
 * 0x04 claim/cloud, 0x05 device. Numbers are never reused or renumbered once released.
 */
export const ERROR_TABLE = {
  // 0x01xx protocol: framing, encoding, schema
  FRAME_MALFORMED: { wire: 0x0101, category: 'protocol', message: 'A frame was too short or its header was invalid' },
  FRAME_INTEGRITY: { wire: 0x0102, category: 'protocol', message: 'A reassembled message failed its integrity check' },
  FRAME_OUT_OF_ORDER: { wire: 0x0103, category: 'protocol', message: 'A frame arrived out of sequence' },
  FRAME_DUPLICATE: { wire: 0x0104, category: 'protocol', message: 'A frame was received twice' },
  MESSAGE_TOO_LARGE: { wire: 0x0105, category: 'protocol', message: 'The message exceeds the maximum message size' },
  TOO_MANY_IN_FLIGHT: {
    wire: 0x0106,
    category: 'protocol',
    message: 'Too many messages are being reassembled at once',
  },
  MESSAGE_TIMEOUT: {
    wire: 0x0107,
    category: 'protocol',
    message: 'A message was left incomplete past the reassembly timeout',
  },
  CBOR_MALFORMED: { wire: 0x0108, category: 'protocol', message: 'The message is not valid CBOR' },
  MESSAGE_INVALID: { wire: 0x0109, category: 'protocol', message: 'The message does not match its schema' },
  MESSAGE_UNKNOWN_TYPE: { wire: 0x010a, category: 'protocol', message: 'The message type is unknown' },
  VERSION_UNSUPPORTED: { wire: 0x010b, category: 'protocol', message: 'The protocol version is not supported' },
  WRONG_CHANNEL: { wire: 0x010c, category: 'protocol', message: 'The message was sent on the wrong characteristic' },
  UNEXPECTED_MESSAGE: {
    wire: 0x010d,
    category: 'protocol',
    message: 'The message is not allowed in the current state',
  },
  ORIGIN_REJECTED: {
    wire: 0x010e,
    category: 'protocol',
    message: "The request did not come from the device's own setup page (origin, host or client header)",
  },
  NOTIFICATIONS_DISABLED: {
    wire: 0x010f,
    category: 'protocol',
    message:
      'The answer travels on a characteristic whose notifications are off: enable notifications on status and scan first',
  },
  WRITE_WINDOW_EXCEEDED: {
    wire: 0x0110,
    category: 'protocol',
    message:
      "More frames were written without response than the device's write window allows: update the phone app, or write with response",
  },

  // 0x02xx secure session
  SESSION_REQUIRED: { wire: 0x0201, category: 'session', message: 'A secure session must be established first' },
  SESSION_HANDSHAKE_INVALID: { wire: 0x0202, category: 'session', message: 'The session handshake message is invalid' },
  SESSION_AUTH_FAILED: {
    wire: 0x0203,
    category: 'session',
    message: 'The session could not be authenticated: check the setup code',
  },
  SESSION_LOCKED_OUT: {
    wire: 0x0204,
    category: 'session',
    message: 'Too many failed attempts: the device refuses sessions for a while',
  },
  SESSION_TRANSCRIPT_MISMATCH: {
    wire: 0x0205,
    category: 'session',
    message: 'The session transcript does not match the device (downgrade or swapped device)',
  },
  SESSION_TAMPERED: { wire: 0x0206, category: 'session', message: 'An encrypted message failed authentication' },
  SESSION_REPLAYED: { wire: 0x0207, category: 'session', message: 'An encrypted message was replayed' },
  SESSION_REORDERED: { wire: 0x0208, category: 'session', message: 'An encrypted message arrived out of order' },
  SESSION_TRUNCATED: { wire: 0x0209, category: 'session', message: 'An encrypted message was truncated' },
  SESSION_TIMEOUT: { wire: 0x020a, category: 'session', message: 'The session was idle for too long' },
  SESSION_CLOSED: { wire: 0x020b, category: 'session', message: 'The session has ended' },
  SESSION_SETUP_CODE_INVALID: {
    wire: 0x020c,
    category: 'session',
    message: 'The setup code or its QR payload is malformed: check it and enter it again',
  },

  // 0x03xx Wi-Fi
  WIFI_NETWORK_NOT_FOUND: { wire: 0x0301, category: 'wifi', message: 'The Wi-Fi network was not found' },
  WIFI_AUTH_FAILED: { wire: 0x0302, category: 'wifi', message: 'The Wi-Fi password was rejected' },
  WIFI_ASSOCIATION_FAILED: { wire: 0x0303, category: 'wifi', message: 'Could not associate with the Wi-Fi network' },
  WIFI_NO_ADDRESS: { wire: 0x0304, category: 'wifi', message: 'Joined the Wi-Fi network but got no IP address' },
  WIFI_TIMEOUT: { wire: 0x0305, category: 'wifi', message: 'Joining the Wi-Fi network timed out' },
  WIFI_SCAN_FAILED: { wire: 0x0306, category: 'wifi', message: 'The Wi-Fi scan failed' },
  WIFI_BACKEND_ERROR: { wire: 0x0307, category: 'wifi', message: 'The Wi-Fi backend failed' },

  // 0x04xx claim and cloud
  CLAIM_EXPIRED: { wire: 0x0401, category: 'cloud', message: 'The claim certificate has expired: fetch a new one' },
  CLAIM_INVALID: { wire: 0x0402, category: 'cloud', message: 'The claim certificate or key is invalid' },
  CLOUD_UNREACHABLE: { wire: 0x0403, category: 'cloud', message: 'A cloud endpoint could not be reached' },
  CLOUD_CONNECT_REFUSED: { wire: 0x0404, category: 'cloud', message: 'The AWS IoT broker refused the connection' },
  CLOUD_TIMEOUT: { wire: 0x0405, category: 'cloud', message: 'The AWS IoT broker did not answer in time' },
  CERTIFICATE_REJECTED: { wire: 0x0406, category: 'cloud', message: 'AWS IoT refused to issue a certificate' },
  REGISTER_REJECTED: { wire: 0x0407, category: 'cloud', message: 'AWS IoT refused to register the thing' },
  VERIFY_FAILED: {
    wire: 0x0408,
    category: 'cloud',
    message: 'The permanent certificate did not pass the publish/subscribe check',
  },
  LOGIN_REQUIRED: {
    wire: 0x0409,
    category: 'cloud',
    message: 'Not logged in, or the login has expired: run `npx tp-central login`',
  },
  LOGIN_FAILED: { wire: 0x040a, category: 'cloud', message: 'The identity provider refused the login' },
  CLAIM_DENIED: {
    wire: 0x040b,
    category: 'cloud',
    message: 'AWS refused the credentials or the provisioning claim for this user',
  },
  DEVICE_ALREADY_REGISTERED: {
    wire: 0x040c,
    category: 'cloud',
    message:
      'AWS IoT refused to register this serial: it is still registered to another certificate (a reset or copied device). Ask an operator to decommission the old device (`npx tp-setup decommission --thing mything_<serial> --operator NAME --reason TEXT`), then try again',
  },

  // 0x05xx device
  DEVICE_BUSY: { wire: 0x0501, category: 'device', message: 'The device is busy with another phone or job' },
  DEVICE_ALREADY_PROVISIONED: {
    wire: 0x0502,
    category: 'device',
    message: 'The device is already provisioned: reset it first',
  },
  STORAGE_FAILED: { wire: 0x0503, category: 'device', message: 'The device could not store its state' },
  ABORTED: { wire: 0x0504, category: 'device', message: 'Provisioning was aborted' },
  INTERNAL: { wire: 0x0505, category: 'device', message: 'Internal device error' },
  CONFIG_INVALID: { wire: 0x0506, category: 'device', message: 'The configuration is invalid' },
  BLE_UNAVAILABLE: {
    wire: 0x0507,
    category: 'device',
    message: 'Bluetooth is unavailable: no Bluetooth adapter or controller could be used',
  },
  SOFTAP_FAILED: {
    wire: 0x0508,
    category: 'device',
    message: 'The setup access point (SoftAP) could not be started or stopped',
  },
  LINK_LOST: { wire: 0x0509, category: 'device', message: 'The link to the device was lost' },
  DEVICE_NOT_FOUND: {
    wire: 0x050a,
    category: 'device',
    message: 'No provisioning device with that name was found in range',
  },
  RATE_LIMITED: { wire: 0x050b, category: 'device', message: 'Too many requests from this client: wait and try again' },
  CAMERA_UNAVAILABLE: {
    wire: 0x050c,
    category: 'device',
    message: "The phone's camera could not be opened to read the QR label",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

const BY_WIRE: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.keys(ERROR_TABLE) as ErrorCode[]).map((code) => [ERROR_TABLE[code].wire, code]),
);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, value);
}

/** Maps a wire number back to its code; unknown numbers (from a newer peer) are `undefined`. */
export function errorCodeFromWire(wire: number): ErrorCode | undefined {
  return BY_WIRE.get(wire);
}

export interface ProvisioningErrorOptions {
  /** Non-secret detail for people and logs (e.g. which field failed, AWS's errorCode). */
  detail?: string;
  cause?: unknown;
}

/** Base of every product error. `code` is stable; switch on it, never on the message. */
export class ProvisioningError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: ProvisioningErrorOptions = {}) {
    const spec = ERROR_TABLE[code];
    super(options.detail ? `${spec.message}: ${options.detail}` : spec.message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = options.detail;
  }

  get wire(): number {
    return ERROR_TABLE[this.code].wire;
  }

  get category(): ErrorCategory {
    return ERROR_TABLE[this.code].category;
  }
}

/** The peer sent something that breaks the protocol (framing, CBOR, schema, session). */
export class ProtocolError extends ProvisioningError {}

/** A local caller misused an API (wrong state, bad argument): a bug on this side, not the peer's. */
export class UsageError extends ProvisioningError {}

export function isProvisioningError(err: unknown): err is ProvisioningError {
  return err instanceof ProvisioningError;
}
