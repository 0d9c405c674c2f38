/** Reading the configuration file and the trust store it points to; failures are CONFIG_INVALID naming the field. */
import { readFileSync } from 'node:fs';
import { ProvisioningError } from '../../../protocol/index.js';
import { parseDeviceConfig } from './schema.js';
import type { DeviceConfig } from './schema.js';

/** Largest configuration file accepted, bytes. */
export const MAX_CONFIG_BYTES = 256 * 1024;

function readText(path: string, field: string, hint = ''): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${field}: cannot read ${path} (${code})${hint}`,
      cause: err,
    });
  }
  if (text.length > MAX_CONFIG_BYTES)
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${field}: ${path} is larger than ${MAX_CONFIG_BYTES} bytes`,
    });
  return text;
}

/**
 * Reads and validates the configuration. A missing file at the default location means "all
 * defaults"; a file named explicitly must exist.
 */
export function readDeviceConfig(
  path: string,
  options: { required?: boolean; env?: NodeJS.ProcessEnv } = {},
): DeviceConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' && !options.required) return parseDeviceConfig({}, undefined, options.env);
    throw new ProvisioningError('CONFIG_INVALID', { detail: `(file): cannot read ${path} (${code})`, cause: err });
  }
  if (text.length > MAX_CONFIG_BYTES)
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `(file): ${path} is larger than ${MAX_CONFIG_BYTES} bytes`,
    });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `(root) in ${path}: not valid JSON (${(err as Error).message})`,
    });
  }
  return parseDeviceConfig(raw, path, options.env);
}

/** The PEM the device trusts for the AWS IoT endpoint: trust.caPath, else the emulator's cloud.json. */
export function readTrustPem(config: DeviceConfig): string {
  if (config.trust.caPath !== undefined) {
    const pem = readText(config.trust.caPath, 'trust.caPath');
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      throw new ProvisioningError('CONFIG_INVALID', {
        detail: `trust.caPath: ${config.trust.caPath} holds no PEM certificate`,
      });
    return pem;
  }
  const text = readText(
    config.trust.cloudJson,
    'trust.cloudJson',
    '; is the cloud emulator running (npx tp-cloud)? or set trust.caPath',
  );
  let caPem: unknown;
  try {
    caPem = (JSON.parse(text) as { iot?: { caPem?: unknown } }).iot?.caPem;
  } catch {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `trust.cloudJson: ${config.trust.cloudJson} is not valid JSON`,
    });
  }
  if (typeof caPem !== 'string' || !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `trust.cloudJson: ${config.trust.cloudJson} has no iot.caPem`,
    });
  }
  return caPem;
}
