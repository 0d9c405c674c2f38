/**
 * The page's form rules, without the DOM: what the person typed becomes the Wi-Fi settings and the
 * endpoint part of the claim, or a FieldError that names the field and says what to fix. The rules
 * are the protocol's own (protocol/messages.ts limits, protocol/codec.ts checks), so the page never
 * sends something the device would reject as malformed.
 */
import {
  isValidPassphrase,
  ProvisioningError,
  MAX_HOST_BYTES,
  MAX_PARAMETER_NAME_BYTES,
  MAX_PARAMETER_VALUE_BYTES,
  MAX_TEMPLATE_NAME_CHARS,
  MAX_TEMPLATE_PARAMETERS,
  PASSPHRASE_MAX_CHARS,
  PASSPHRASE_MIN_CHARS,
  SSID_MAX_BYTES,
} from '../../../protocol/index.js';
import type { ErrorCode, WifiSecurity } from '../../../protocol/index.js';
import type { WifiSettings } from '../../../central/engine/index.js';

/** Ids of the inputs a FieldError can point at (the page focuses it). */
export type FieldId =
  | 'setup-code'
  | 'network'
  | 'hidden-ssid'
  | 'password'
  | 'cert-file'
  | 'key-file'
  | 'ca-file'
  | 'host'
  | 'port'
  | 'template'
  | 'parameters';

/** An input the person must fix; `field` is the id of the input to focus. */
export class FieldError extends ProvisioningError {
  constructor(
    readonly field: FieldId,
    code: ErrorCode,
    detail: string,
  ) {
    super(code, { detail });
  }
}

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TEMPLATE_NAME = /^[0-9A-Za-z_-]+$/;
const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;

export interface WifiInput {
  /** The chosen network's SSID, or the typed hidden SSID. */
  readonly ssid: string;
  readonly hidden: boolean;
  /** From the scan; unknown for a hidden network. */
  readonly security?: WifiSecurity;
  readonly password: string;
}

export function checkWifi(input: WifiInput): WifiSettings {
  const field: FieldId = input.hidden ? 'hidden-ssid' : 'network';
  if (input.ssid.length === 0)
    throw new FieldError(
      field,
      'MESSAGE_INVALID',
      input.hidden ? 'type the name of the hidden network' : 'pick a Wi-Fi network',
    );
  if (utf8Bytes(input.ssid) > SSID_MAX_BYTES)
    throw new FieldError(field, 'MESSAGE_INVALID', `a network name has at most ${SSID_MAX_BYTES} bytes`);
  const open = input.security === 'open';
  if (input.password === '') {
    if (open || input.hidden) return { ssid: input.ssid, ...(input.hidden ? { hidden: true } : {}) };
    throw new FieldError('password', 'MESSAGE_INVALID', 'type the Wi-Fi password');
  }
  if (open) throw new FieldError('password', 'MESSAGE_INVALID', 'this network is open: leave the password empty');
  if (!isValidPassphrase(input.password)) {
    throw new FieldError(
      'password',
      'MESSAGE_INVALID',
      `a Wi-Fi (WPA) password has ${PASSPHRASE_MIN_CHARS}-${PASSPHRASE_MAX_CHARS} characters (letters, digits, symbols, spaces) or is 64 hex digits`,
    );
  }
  return { ssid: input.ssid, passphrase: input.password, ...(input.hidden ? { hidden: true } : {}) };
}

export interface EndpointInput {
  readonly host: string;
  readonly port: string;
  readonly templateName: string;
  /** One `Name=value` per line; blank lines ignored. */
  readonly parameters: string;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly templateName: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export function checkEndpoint(input: EndpointInput): Endpoint {
  const host = input.host.trim();
  if (host === '' || utf8Bytes(host) > MAX_HOST_BYTES || !host.split('.').every((l) => HOST_LABEL.test(l))) {
    throw new FieldError(
      'host',
      'MESSAGE_INVALID',
      'the AWS IoT endpoint is a host name such as abc123-ats.iot.eu-west-1.amazonaws.com',
    );
  }
  const portText = input.port.trim();
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65_535))
    throw new FieldError('port', 'MESSAGE_INVALID', 'the port is a number from 1 to 65535 (AWS IoT: 8883 or 443)');
  const templateName = input.templateName.trim();
  if (!TEMPLATE_NAME.test(templateName) || templateName.length > MAX_TEMPLATE_NAME_CHARS) {
    throw new FieldError(
      'template',
      'MESSAGE_INVALID',
      `the template name has 1-${MAX_TEMPLATE_NAME_CHARS} characters of A-Z a-z 0-9 _ -`,
    );
  }
  return { host, port, templateName, parameters: parseParameters(input.parameters) };
}

/** `Name=value` lines into the template parameters, within the protocol's limits. */
export function parseParameters(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (const [i, line] of lines.entries()) {
    const eq = line.indexOf('=');
    const name = eq < 0 ? '' : line.slice(0, eq).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (name === '')
      throw new FieldError('parameters', 'MESSAGE_INVALID', `line ${i + 1}: write each parameter as Name=value`);
    if (utf8Bytes(name) > MAX_PARAMETER_NAME_BYTES)
      throw new FieldError(
        'parameters',
        'MESSAGE_INVALID',
        `line ${i + 1}: a parameter name has at most ${MAX_PARAMETER_NAME_BYTES} bytes`,
      );
    if (utf8Bytes(value) > MAX_PARAMETER_VALUE_BYTES)
      throw new FieldError(
        'parameters',
        'MESSAGE_INVALID',
        `line ${i + 1}: a parameter value has at most ${MAX_PARAMETER_VALUE_BYTES} bytes`,
      );
    if (Object.prototype.hasOwnProperty.call(out, name))
      throw new FieldError('parameters', 'MESSAGE_INVALID', `line ${i + 1}: ${name} is given twice`);
    out[name] = value;
  }
  if (Object.keys(out).length > MAX_TEMPLATE_PARAMETERS)
    throw new FieldError('parameters', 'MESSAGE_INVALID', `at most ${MAX_TEMPLATE_PARAMETERS} parameters`);
  return out;
}

/** The parameters as the textarea shows them. */
export function formatParameters(parameters: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(parameters ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}
