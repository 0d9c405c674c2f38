/**
 * The device secret the setup AP's WPA2 passphrase is derived from (ap/identity.ts). Installed at
 * the factory (the label printer derives the same passphrase); on a development device without
 * one it is drawn once (32 random bytes, written atomically with mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ProvisioningError } from '../../../protocol/index.js';
import { writeFileAtomic } from '../../../peripheral/storage/index.js';
import { DEVICE_SECRET_MIN_BYTES } from '../../../softap-fallback/ap/index.js';

/** Largest device secret file read, bytes. */
export const MAX_DEVICE_SECRET_BYTES = 1024;

export async function loadOrCreateDeviceSecret(
  path: string,
  field: string,
  log: (line: string) => void,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ProvisioningError('CONFIG_INVALID', {
        detail: `${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        cause: err,
      });
    }
    bytes = new Uint8Array(randomBytes(DEVICE_SECRET_MIN_BYTES));
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, bytes);
    log(
      `softap: drew a new device secret in ${path} (the AP passphrase derives from it: softap-fallback/ap/cli.ts passphrase)`,
    );
  }
  if (bytes.length < DEVICE_SECRET_MIN_BYTES || bytes.length > MAX_DEVICE_SECRET_BYTES) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${field}: ${path} must hold ${DEVICE_SECRET_MIN_BYTES}-${MAX_DEVICE_SECRET_BYTES} bytes`,
    });
  }
  return bytes;
}
