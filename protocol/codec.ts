/**
 * Message encoding and strict decoding with validation (PROTOCOL.md §5). `encodeMessage` validates
 * too, so a local caller cannot put an invalid message on the air (UsageError); `decodeMessage`
 * throws ProtocolError with CBOR_MALFORMED, MESSAGE_INVALID, MESSAGE_UNKNOWN_TYPE,
 * VERSION_UNSUPPORTED or MESSAGE_TOO_LARGE. Error details name the field, never its value.
 */
import { assertDeterministic, decodeCbor, encodeCbor, type CborMap, type CborValue } from './cbor.js';
import { ERROR_TABLE, ProtocolError, UsageError, errorCodeFromWire, type ErrorCode } from './errors.js';
import { MAX_MESSAGE_BYTES } from './framing.js';
import { MAX_READ_VALUE_BYTES } from './gatt.js';
import {
  CERTIFICATE_ID_CHARS,
  DEVICE_ID_MAX_CHARS,
  MAX_CA_PEM_BYTES,
  MAX_CERTIFICATE_PEM_BYTES,
  MAX_DETAIL_BYTES,
  MAX_FEATURE_CHARS,
  MAX_FEATURES,
  MAX_FIRMWARE_BYTES,
  MAX_HOST_BYTES,
  MAX_MODEL_BYTES,
  MAX_PARAMETER_NAME_BYTES,
  MAX_PARAMETER_VALUE_BYTES,
  MAX_PRIVATE_KEY_PEM_BYTES,
  MAX_RSSI_DBM,
  MAX_SCAN_RESULTS,
  MAX_SCHEME_CHARS,
  MAX_SECURITY_SCHEMES,
  MAX_STEP_BYTES,
  MAX_TEMPLATE_NAME_CHARS,
  MAX_TEMPLATE_PARAMETERS,
  MAX_THING_NAME_BYTES,
  MAX_VERSIONS,
  MAX_WIFI_CHANNEL,
  MESSAGE_TYPES,
  MIN_RSSI_DBM,
  MIN_WIFI_CHANNEL,
  PASSPHRASE_MAX_CHARS,
  PASSPHRASE_MIN_CHARS,
  PSK_HEX_CHARS,
  SCHEMA_VERSION,
  SSID_MAX_BYTES,
  SSID_MIN_BYTES,
  SUPPORTED_SCHEMA_VERSIONS,
  WIFI_SECURITIES,
  type ClaimMessage,
  type ControlMessage,
  type InfoMessage,
  type Message,
  type MessageType,
  type ScanMessage,
  type ScanNetwork,
  type StatusMessage,
  type WifiMessage,
} from './messages.js';
import { CONTROL_COMMANDS, PROVISIONING_STATES, stateFromCode } from './states.js';

/**
 * Room kept for the secure session's per-message overhead (SESSION.md §7.2: 24 bytes) so that a
 * sealed message still fits {@link MAX_MESSAGE_BYTES}.
 */
export const SEAL_OVERHEAD_BUDGET_BYTES = 64;
/** Largest encoded (plaintext) message, bytes. */
export const MAX_ENCODED_MESSAGE_BYTES = MAX_MESSAGE_BYTES - SEAL_OVERHEAD_BUDGET_BYTES;

const DEVICE_ID = new RegExp(`^[A-Za-z0-9._-]{1,${DEVICE_ID_MAX_CHARS}}$`);
const TEMPLATE_NAME = new RegExp(`^[0-9A-Za-z_-]{1,${MAX_TEMPLATE_NAME_CHARS}}$`);
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const HEX64 = new RegExp(`^[0-9A-Fa-f]{${PSK_HEX_CHARS}}$`);
const CERT_PEM = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;
const CA_PEM = /^(?:-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/;
const KEY_PEM = /^-----BEGIN (RSA |EC |)PRIVATE KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1PRIVATE KEY-----\r?\n?$/;
const CERT_ID = new RegExp(`^[0-9a-f]{${CERTIFICATE_ID_CHARS}}$`);
const MAX_EXPIRES_AT = 0xffff_ffff;

const utf8 = new TextEncoder();
const bytesOf = (s: string): number => utf8.encode(s).length;

/** Wire keys of each message (PROTOCOL.md §5). */
const KEYS = {
  info: ['t', 'v', 'id', 'fw', 'att', 'sec', 'feat', 'vers', 'model', 'state', 'maxMsg'],
  wifi: ['t', 'v', 'pass', 'ssid', 'hidden'],
  claim: ['t', 'v', 'ca', 'exp', 'key', 'cert', 'host', 'mode', 'port', 'tmpl', 'params'],
  control: ['t', 'v', 'cmd'],
  status: ['t', 'v', 'err', 'pct', 'step', 'thing', 'state', 'certId', 'detail'],
  scan: ['t', 'v', 'nets'],
} as const satisfies Record<MessageType, readonly string[]>;
const NETWORK_KEYS = ['ch', 'sec', 'rssi', 'ssid'] as const;

type Fail = (detail: string) => never;

// ---- field readers ------------------------------------------------------------------------------

class Fields {
  constructor(
    private readonly source: CborMap,
    private readonly where: string,
    private readonly fail: Fail,
  ) {}

  has(key: string): boolean {
    return this.source.has(key);
  }

  private get(key: string, required: boolean): unknown {
    const v = this.source.get(key);
    if (v === undefined && required) this.fail(`${this.where}: field '${key}' is missing`);
    return v;
  }

  text(key: string, check: (s: string) => boolean, rule: string): string;
  text(key: string, check: (s: string) => boolean, rule: string, optional: true): string | undefined;
  text(key: string, check: (s: string) => boolean, rule: string, optional = false): string | undefined {
    const v = this.get(key, !optional);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !check(v)) this.fail(`${this.where}: field '${key}' must be ${rule}`);
    return v;
  }

  uint(key: string, min: number, max: number): number;
  uint(key: string, min: number, max: number, optional: true): number | undefined;
  uint(key: string, min: number, max: number, optional = false): number | undefined {
    return this.int(key, Math.max(0, min), max, optional);
  }

  int(key: string, min: number, max: number): number;
  int(key: string, min: number, max: number, optional: boolean): number | undefined;
  int(key: string, min: number, max: number, optional = false): number | undefined {
    const v = this.get(key, !optional);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(`${this.where}: field '${key}' must be an integer ${min}..${max}`);
    return v;
  }

  bytes(key: string, min: number, max: number): Uint8Array {
    const v = this.get(key, true);
    if (!(v instanceof Uint8Array) || v.length < min || v.length > max)
      this.fail(`${this.where}: field '${key}' must be a byte string of ${min}..${max} bytes`);
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.get(key, false);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(`${this.where}: field '${key}' must be a boolean`);
    return v;
  }

  array(key: string, max: number): readonly unknown[] {
    const v = this.get(key, true);
    if (!Array.isArray(v) || v.length > max)
      this.fail(`${this.where}: field '${key}' must be an array of at most ${max} items`);
    return v;
  }

  map(key: string): CborMap {
    const v = this.get(key, true);
    if (!(v instanceof Map)) this.fail(`${this.where}: field '${key}' must be a map`);
    return v;
  }
}

function asTextMap(value: unknown, where: string, allowed: readonly string[] | undefined, fail: Fail): CborMap {
  if (!(value instanceof Map)) fail(`${where} must be a CBOR map`);
  for (const k of value.keys()) {
    if (typeof k !== 'string') fail(`${where} has a non-text key`);
    if (allowed && !allowed.includes(k)) fail(`${where} has an unknown field '${k.slice(0, 32)}'`);
  }
  return value as CborMap;
}

const within = (min: number, max: number) => (s: string) => {
  const n = bytesOf(s);
  return n >= min && n <= max;
};
const uintList = (values: readonly unknown[], where: string, fail: Fail): number[] =>
  values.map((x) =>
    typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff
      ? x
      : fail(`${where} must hold integers 0..65535`),
  );
const textList = (values: readonly unknown[], maxChars: number, where: string, fail: Fail): string[] =>
  values.map((x) =>
    typeof x === 'string' && x.length >= 1 && x.length <= maxChars && PRINTABLE_ASCII.test(x)
      ? x
      : fail(`${where} must hold 1..${maxChars} printable ASCII characters`),
  );

function isValidHost(host: string): boolean {
  return bytesOf(host) <= MAX_HOST_BYTES && host.split('.').every((l) => HOST_LABEL.test(l));
}

export function isValidPassphrase(p: string): boolean {
  return (
    HEX64.test(p) || (p.length >= PASSPHRASE_MIN_CHARS && p.length <= PASSPHRASE_MAX_CHARS && PRINTABLE_ASCII.test(p))
  );
}

// ---- per-type readers -----------------------------------------------------------------------------

function readInfo(f: Fields, fail: Fail): InfoMessage {
  const versions = uintList(f.array('vers', MAX_VERSIONS), "info: field 'vers'", fail);
  if (versions.length === 0 || versions.some((v, i) => i > 0 && v <= versions[i - 1]!))
    fail("info: field 'vers' must be non-empty and ascending");
  const security = textList(f.array('sec', MAX_SECURITY_SCHEMES), MAX_SCHEME_CHARS, "info: field 'sec'", fail);
  if (security.length === 0) fail("info: field 'sec' must not be empty");
  const att = uintList(f.array('att', 2), "info: field 'att'", fail);
  const [attMin = 0, attMax = 0] = att; // a missing bound reads 0: below 20, so it fails too
  if (att.length !== 2 || attMin < 20 || attMin > attMax || attMax > 512)
    fail("info: field 'att' must be [min, max] with 20 <= min <= max <= 512");
  const features = textList(f.array('feat', MAX_FEATURES), MAX_FEATURE_CHARS, "info: field 'feat'", fail);
  if (new Set(features).size !== features.length) fail("info: field 'feat' has duplicates");
  const stateCode = f.uint('state', 0, 255);
  const state = stateFromCode(stateCode) ?? fail("info: field 'state' is not a known state");
  const info: InfoMessage = {
    type: 'info',
    versions,
    security,
    maxMessage: f.uint('maxMsg', 1, 0xffff),
    attPayload: [attMin, attMax],
    features,
    state,
    deviceId: f.text('id', (s) => DEVICE_ID.test(s), '1-32 characters of A-Z a-z 0-9 . _ -'),
  };
  const model = f.text('model', within(1, MAX_MODEL_BYTES), `1..${MAX_MODEL_BYTES} bytes`, true);
  const firmware = f.text('fw', within(1, MAX_FIRMWARE_BYTES), `1..${MAX_FIRMWARE_BYTES} bytes`, true);
  return { ...info, ...(model !== undefined && { model }), ...(firmware !== undefined && { firmware }) };
}

function readWifi(f: Fields): WifiMessage {
  const ssid = f.bytes('ssid', SSID_MIN_BYTES, SSID_MAX_BYTES);
  const passphrase = f.text(
    'pass',
    isValidPassphrase,
    `${PASSPHRASE_MIN_CHARS}-${PASSPHRASE_MAX_CHARS} printable ASCII characters or ${PSK_HEX_CHARS} hex digits`,
    true,
  );
  const hidden = f.bool('hidden');
  return {
    type: 'wifi',
    ssid,
    ...(passphrase !== undefined && { passphrase }),
    ...(hidden !== undefined && { hidden }),
  };
}

function readClaim(f: Fields, fail: Fail): ClaimMessage {
  const paramsMap = asTextMap(f.map('params'), "claim: field 'params'", undefined, fail);
  if (paramsMap.size > MAX_TEMPLATE_PARAMETERS)
    fail(`claim: field 'params' has more than ${MAX_TEMPLATE_PARAMETERS} entries`);
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of paramsMap) {
    if (!within(1, MAX_PARAMETER_NAME_BYTES)(k))
      fail(`claim: parameter names must be 1..${MAX_PARAMETER_NAME_BYTES} bytes`);
    if (typeof v !== 'string' || !within(0, MAX_PARAMETER_VALUE_BYTES)(v))
      fail(`claim: parameter values must be text of 0..${MAX_PARAMETER_VALUE_BYTES} bytes`);
    parameters[k] = v;
  }
  const caPem = f.text(
    'ca',
    (s) => bytesOf(s) <= MAX_CA_PEM_BYTES && CA_PEM.test(s),
    `one or more PEM certificates of at most ${MAX_CA_PEM_BYTES} bytes`,
    true,
  );
  const certificateMode = f.text(
    'mode',
    (s) => s === 'csr' || s === 'keys',
    "'csr' or 'keys'",
    true,
  ) as ClaimMessage['certificateMode'];
  return {
    type: 'claim',
    certificatePem: f.text(
      'cert',
      (s) => bytesOf(s) <= MAX_CERTIFICATE_PEM_BYTES && CERT_PEM.test(s),
      `a PEM certificate of at most ${MAX_CERTIFICATE_PEM_BYTES} bytes`,
    ),
    privateKeyPem: f.text(
      'key',
      (s) => bytesOf(s) <= MAX_PRIVATE_KEY_PEM_BYTES && KEY_PEM.test(s),
      `an unencrypted PEM private key of at most ${MAX_PRIVATE_KEY_PEM_BYTES} bytes`,
    ),
    ...(caPem !== undefined && { caPem }),
    host: f.text('host', isValidHost, `a DNS host name of at most ${MAX_HOST_BYTES} bytes`),
    port: f.uint('port', 1, 65_535),
    templateName: f.text(
      'tmpl',
      (s) => TEMPLATE_NAME.test(s),
      `1-${MAX_TEMPLATE_NAME_CHARS} characters of 0-9 A-Z a-z _ -`,
    ),
    parameters,
    expiresAt: f.uint('exp', 0, MAX_EXPIRES_AT),
    ...(certificateMode !== undefined && { certificateMode }),
  };
}

function readControl(f: Fields): ControlMessage {
  const command = f.text(
    'cmd',
    (s) => (CONTROL_COMMANDS as readonly string[]).includes(s),
    CONTROL_COMMANDS.join(' | '),
  );
  return { type: 'control', command: command as ControlMessage['command'] };
}

function readStatus(f: Fields, fail: Fail): StatusMessage {
  const state = stateFromCode(f.uint('state', 0, 255)) ?? fail("status: field 'state' is not a known state");
  const step = f.text('step', within(1, MAX_STEP_BYTES), `1..${MAX_STEP_BYTES} bytes`, true);
  const progress = f.uint('pct', 0, 100, true);
  const wire = f.uint('err', 1, 0xffff, true);
  const detail = f.text('detail', within(1, MAX_DETAIL_BYTES), `1..${MAX_DETAIL_BYTES} bytes`, true);
  const thingName = f.text('thing', within(1, MAX_THING_NAME_BYTES), `1..${MAX_THING_NAME_BYTES} bytes`, true);
  const certificateId = f.text('certId', (s) => CERT_ID.test(s), `${CERTIFICATE_ID_CHARS} lower-case hex digits`, true);
  if ((thingName === undefined) !== (certificateId === undefined))
    fail("status: fields 'thing' and 'certId' go together");
  if (detail !== undefined && wire === undefined) fail("status: field 'detail' needs 'err'");
  const error = wire === undefined ? undefined : errorCodeFromWire(wire);
  return {
    type: 'status',
    state,
    ...(step !== undefined && { step }),
    ...(progress !== undefined && { progress }),
    ...(error !== undefined && { error }),
    ...(wire !== undefined && error === undefined && { unknownErrorWire: wire }),
    ...(detail !== undefined && { detail }),
    ...(thingName !== undefined && certificateId !== undefined && { result: { thingName, certificateId } }),
  };
}

function readScan(f: Fields, fail: Fail): ScanMessage {
  const networks = f.array('nets', MAX_SCAN_RESULTS).map((item, i): ScanNetwork => {
    const where = `scan: network ${i}`;
    const n = new Fields(asTextMap(item, where, NETWORK_KEYS, fail), where, fail);
    return {
      ssid: n.bytes('ssid', SSID_MIN_BYTES, SSID_MAX_BYTES),
      rssi: n.int('rssi', MIN_RSSI_DBM, MAX_RSSI_DBM),
      security: n.text(
        'sec',
        (s) => (WIFI_SECURITIES as readonly string[]).includes(s),
        WIFI_SECURITIES.join(' | '),
      ) as ScanNetwork['security'],
      channel: n.uint('ch', MIN_WIFI_CHANNEL, MAX_WIFI_CHANNEL),
    };
  });
  return { type: 'scan', networks };
}

// ---- writers ----------------------------------------------------------------------------------

function toCbor(m: Message): CborMap {
  const e = new Map<string, CborValue>([
    ['t', m.type],
    ['v', SCHEMA_VERSION],
  ]);
  const put = (k: string, v: CborValue | undefined) => {
    if (v !== undefined) e.set(k, v);
  };
  switch (m.type) {
    case 'info':
      put('vers', [...m.versions]);
      put('sec', [...m.security]);
      put('maxMsg', m.maxMessage);
      put('att', [...m.attPayload]);
      put('feat', [...m.features]);
      put('state', PROVISIONING_STATES[m.state]);
      put('id', m.deviceId);
      put('model', m.model);
      put('fw', m.firmware);
      break;
    case 'wifi':
      put('ssid', m.ssid);
      put('pass', m.passphrase);
      put('hidden', m.hidden);
      break;
    case 'claim':
      put('cert', m.certificatePem);
      put('key', m.privateKeyPem);
      put('ca', m.caPem);
      put('host', m.host);
      put('port', m.port);
      put('tmpl', m.templateName);
      put('params', new Map(Object.entries(m.parameters)));
      put('exp', m.expiresAt);
      put('mode', m.certificateMode);
      break;
    case 'control':
      put('cmd', m.command);
      break;
    case 'status':
      put('state', PROVISIONING_STATES[m.state]);
      put('step', m.step);
      put('pct', m.progress);
      put('err', m.error !== undefined ? ERROR_TABLE[m.error].wire : m.unknownErrorWire);
      put('detail', m.detail);
      put('thing', m.result?.thingName);
      put('certId', m.result?.certificateId);
      break;
    case 'scan':
      put(
        'nets',
        m.networks.map(
          (n) =>
            new Map<string, CborValue>([
              ['ssid', n.ssid],
              ['rssi', n.rssi],
              ['sec', n.security],
              ['ch', n.channel],
            ]),
        ),
      );
      break;
  }
  return e;
}

// ---- public API ---------------------------------------------------------------------------------

function fromMap(raw: unknown, fail: Fail, versionFail: Fail, typeFail: Fail): Message {
  const top = asTextMap(raw, 'message', undefined, fail);
  const v = top.get('v');
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail("message: field 'v' must be an unsigned integer");
  if (!SUPPORTED_SCHEMA_VERSIONS.includes(v))
    versionFail(`schema version ${v}; supported ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`);
  const t = top.get('t');
  if (typeof t !== 'string') fail("message: field 't' must be text");
  if (!(MESSAGE_TYPES as readonly string[]).includes(t)) typeFail(`type '${t.slice(0, 32)}'`);
  const type = t as MessageType;
  asTextMap(top, type, KEYS[type], fail);
  const f = new Fields(top, type, fail);
  switch (type) {
    case 'info':
      return readInfo(f, fail);
    case 'wifi':
      return readWifi(f);
    case 'claim':
      return readClaim(f, fail);
    case 'control':
      return readControl(f);
    case 'status':
      return readStatus(f, fail);
    case 'scan':
      return readScan(f, fail);
  }
}

function sizeLimit(m: Message): number {
  return m.type === 'info' ? MAX_READ_VALUE_BYTES : MAX_ENCODED_MESSAGE_BYTES;
}

/**
 * Encodes one message (deterministic CBOR). Validates it first with the same rules as the receiver:
 * a UsageError carries the receiver's code (MESSAGE_INVALID, MESSAGE_TOO_LARGE).
 */
export function encodeMessage(message: Message): Uint8Array {
  const usage =
    (code: ErrorCode) =>
    (detail: string): never => {
      throw new UsageError(code, { detail });
    };
  let bytes: Uint8Array;
  try {
    bytes = encodeCbor(toCbor(message));
  } catch (cause) {
    throw new UsageError('MESSAGE_INVALID', { detail: 'message cannot be encoded', cause });
  }
  // Round-trip through the receiver's reader so both sides apply one rule set; on this side a value
  // outside the profile (a float where an integer belongs) is the caller's invalid message.
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch (cause) {
    throw new UsageError('MESSAGE_INVALID', {
      detail: 'message holds a value CBOR messages cannot carry (a float?)',
      cause,
    });
  }
  fromMap(value, usage('MESSAGE_INVALID'), usage('VERSION_UNSUPPORTED'), usage('MESSAGE_UNKNOWN_TYPE'));
  if (bytes.length > sizeLimit(message))
    usage('MESSAGE_TOO_LARGE')(`${message.type}: ${bytes.length} bytes > ${sizeLimit(message)}`);
  return bytes;
}

/** Decodes and validates one message (PROTOCOL.md §5.1 order of checks). */
export function decodeMessage(bytes: Uint8Array): Message {
  const protocol =
    (code: ErrorCode) =>
    (detail: string): never => {
      throw new ProtocolError(code, { detail });
    };
  if (bytes.length > MAX_ENCODED_MESSAGE_BYTES)
    protocol('MESSAGE_TOO_LARGE')(`${bytes.length} bytes > ${MAX_ENCODED_MESSAGE_BYTES}`);
  const message = fromMap(
    decodeCbor(bytes),
    protocol('MESSAGE_INVALID'),
    protocol('VERSION_UNSUPPORTED'),
    protocol('MESSAGE_UNKNOWN_TYPE'),
  );
  if (bytes.length > sizeLimit(message))
    protocol('MESSAGE_TOO_LARGE')(`${message.type}: ${bytes.length} bytes > ${sizeLimit(message)}`);
  assertDeterministic(bytes, toCbor(message));
  return message;
}
