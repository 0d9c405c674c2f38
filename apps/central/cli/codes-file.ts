import { readFileSync } from 'node:fs';
import { ProvisioningError } from '../../../protocol/index.js';
import { parseSetupCode, parseSetupPayload } from '../../../protocol/session/index.js';

/** Largest codes file read, bytes. */
export const MAX_CODES_FILE_BYTES = 256 * 1024;

export interface DeviceCode {
  deviceId: string;
  /** Secret. */
  setupCode: string;
}

/**
 * A batch's setup codes: one device a line, either a scanned QR payload (`tup:1?n=…&c=…&t=…`) or
 * `DEVICE-ID SETUP-CODE`; blank lines and `#` comments are skipped. Errors name the line, never
 * the code.
 */
export function parseCodesFile(text: string, source: string): DeviceCode[] {
  const out: DeviceCode[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let entry: DeviceCode;
    try {
      if (line.toLowerCase().startsWith('tup:')) {
        const p = parseSetupPayload(line);
        entry = { deviceId: p.deviceId, setupCode: p.setupCode };
      } else {
        const [deviceId, code, extra] = line.split(/\s+/);
        if (!deviceId || !code || extra !== undefined) throw new Error('expected a QR payload or DEVICE-ID SETUP-CODE');
        entry = { deviceId, setupCode: parseSetupCode(code) };
      }
    } catch (err) {
      const why = err instanceof ProvisioningError ? err.code : (err as Error).message;
      throw new ProvisioningError('CONFIG_INVALID', { detail: `${source} line ${i + 1}: ${why}` });
    }
    if (seen.has(entry.deviceId))
      throw new ProvisioningError('CONFIG_INVALID', {
        detail: `${source} line ${i + 1}: device ${entry.deviceId} is listed twice`,
      });
    seen.add(entry.deviceId);
    out.push(entry);
  });
  if (out.length === 0) throw new ProvisioningError('CONFIG_INVALID', { detail: `${source} lists no device` });
  return out;
}

export function readCodesFile(path: string): DeviceCode[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `codes file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    });
  }
  if (text.length > MAX_CODES_FILE_BYTES)
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `codes file ${path} is larger than ${MAX_CODES_FILE_BYTES} bytes`,
    });
  return parseCodesFile(text, path);
}
