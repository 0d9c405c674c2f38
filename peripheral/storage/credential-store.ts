/**
 * The device's permanent AWS IoT credentials, in a directory of its own (0700, files 0600), in two
 * phases so that a power cut never leaves a half state:
 *
 * - `savePending` is called the moment the cloud issues a certificate, BEFORE RegisterThing: the
 *   certificate, its private key and the ownership token are on disk (cert and key first, then the
 *   `pending.json` marker that names them with their SHA-256). No marker, or a marker whose hashes do
 *   not match the files, means "no pending credentials" (the torn write is ignored and cleaned up).
 * - `commit` is called after RegisterThing and the publish/subscribe proof: it writes
 *   `device.cert.pem` / `device.key.pem` and then `device.json` (the commit point), then removes the
 *   pending files. `loadCommitted` only trusts a `device.json` whose hashes match the files.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ProvisioningError } from '../../protocol/index.js';
import { removeStaleTempFiles, SECRET_DIR_MODE, SECRET_FILE_MODE, writeFileAtomic } from './atomic-file.js';
import type { FsOps } from './fs-ops.js';
import { isEnoent, nodeFs } from './fs-ops.js';

export const PENDING_CERT_FILE = 'pending.cert.pem';
export const PENDING_KEY_FILE = 'pending.key.pem';
export const PENDING_MARKER_FILE = 'pending.json';
export const DEVICE_CERT_FILE = 'device.cert.pem';
export const DEVICE_KEY_FILE = 'device.key.pem';
export const DEVICE_MARKER_FILE = 'device.json';

export interface PendingCredentials {
  certificateId: string;
  certificatePem: string;
  privateKeyPem: string;
  /** Single-use token for RegisterThing; AWS keeps it valid for one hour. */
  certificateOwnershipToken: string;
  /** When the certificate was issued (by the device's clock), to judge the token's age. */
  issuedAt: Date;
}

export interface CommittedCredentials {
  certificateId: string;
  certificatePem: string;
  privateKeyPem: string;
  thingName: string;
  endpoint: { host: string; port: number };
  committedAt: Date;
}

interface PendingMarker {
  certificateId: string;
  certificateOwnershipToken: string;
  issuedAt: string;
  certSha256: string;
  keySha256: string;
}

interface DeviceMarker {
  certificateId: string;
  thingName: string;
  endpoint: { host: string; port: number };
  committedAt: string;
  certSha256: string;
  keySha256: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface CredentialStoreOptions {
  /** Directory of its own (created 0700). */
  dir: string;
  fs?: FsOps;
}

export class CredentialStore {
  private readonly fs: FsOps;
  readonly dir: string;

  constructor(options: CredentialStoreOptions) {
    this.dir = options.dir;
    this.fs = options.fs ?? nodeFs;
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  private async ensureDir(): Promise<void> {
    try {
      await this.fs.mkdir(this.dir, { recursive: true, mode: SECRET_DIR_MODE });
      await this.fs.chmod(this.dir, SECRET_DIR_MODE);
    } catch (err) {
      throw storageError('create credential directory', err);
    }
  }

  private async readText(name: string): Promise<string | undefined> {
    try {
      return (await this.fs.readFile(this.path(name))).toString('utf8');
    } catch (err) {
      if (isEnoent(err)) return undefined;
      throw storageError(`read ${name}`, err);
    }
  }

  private async write(name: string, data: string): Promise<void> {
    try {
      await writeFileAtomic(this.path(name), data, { mode: SECRET_FILE_MODE, fs: this.fs });
    } catch (err) {
      throw storageError(`write ${name}`, err);
    }
  }

  async savePending(creds: PendingCredentials): Promise<void> {
    await this.ensureDir();
    await this.write(PENDING_CERT_FILE, creds.certificatePem);
    await this.write(PENDING_KEY_FILE, creds.privateKeyPem);
    const marker: PendingMarker = {
      certificateId: creds.certificateId,
      certificateOwnershipToken: creds.certificateOwnershipToken,
      issuedAt: creds.issuedAt.toISOString(),
      certSha256: sha256(creds.certificatePem),
      keySha256: sha256(creds.privateKeyPem),
    };
    await this.write(PENDING_MARKER_FILE, JSON.stringify(marker) + '\n');
  }

  /** The pending credentials, or undefined when none were completely saved. */
  async loadPending(): Promise<PendingCredentials | undefined> {
    const markerText = await this.readText(PENDING_MARKER_FILE);
    if (markerText === undefined) return undefined;
    const marker = parseJson<PendingMarker>(markerText);
    const certificatePem = await this.readText(PENDING_CERT_FILE);
    const privateKeyPem = await this.readText(PENDING_KEY_FILE);
    if (!marker || certificatePem === undefined || privateKeyPem === undefined) return undefined;
    if (sha256(certificatePem) !== marker.certSha256 || sha256(privateKeyPem) !== marker.keySha256) return undefined;
    return {
      certificateId: marker.certificateId,
      certificatePem,
      privateKeyPem,
      certificateOwnershipToken: marker.certificateOwnershipToken,
      issuedAt: new Date(marker.issuedAt),
    };
  }

  /** Forgets pending credentials (marker first, so a crash midway leaves "none pending"). */
  async discardPending(): Promise<void> {
    try {
      await this.fs.rm(this.path(PENDING_MARKER_FILE), { force: true });
      await this.fs.rm(this.path(PENDING_CERT_FILE), { force: true });
      await this.fs.rm(this.path(PENDING_KEY_FILE), { force: true });
    } catch (err) {
      throw storageError('discard pending credentials', err);
    }
  }

  /** Promotes credentials to the device's permanent ones; `device.json` is the commit point. */
  async commit(creds: Omit<CommittedCredentials, 'committedAt'>, committedAt: Date): Promise<void> {
    await this.ensureDir();
    await this.write(DEVICE_CERT_FILE, creds.certificatePem);
    await this.write(DEVICE_KEY_FILE, creds.privateKeyPem);
    const marker: DeviceMarker = {
      certificateId: creds.certificateId,
      thingName: creds.thingName,
      endpoint: creds.endpoint,
      committedAt: committedAt.toISOString(),
      certSha256: sha256(creds.certificatePem),
      keySha256: sha256(creds.privateKeyPem),
    };
    await this.write(DEVICE_MARKER_FILE, JSON.stringify(marker) + '\n');
    await this.discardPending();
  }

  async loadCommitted(): Promise<CommittedCredentials | undefined> {
    const markerText = await this.readText(DEVICE_MARKER_FILE);
    if (markerText === undefined) return undefined;
    const marker = parseJson<DeviceMarker>(markerText);
    const certificatePem = await this.readText(DEVICE_CERT_FILE);
    const privateKeyPem = await this.readText(DEVICE_KEY_FILE);
    if (!marker || certificatePem === undefined || privateKeyPem === undefined) return undefined;
    if (sha256(certificatePem) !== marker.certSha256 || sha256(privateKeyPem) !== marker.keySha256) return undefined;
    return {
      certificateId: marker.certificateId,
      certificatePem,
      privateKeyPem,
      thingName: marker.thingName,
      endpoint: marker.endpoint,
      committedAt: new Date(marker.committedAt),
    };
  }

  /** Removes temp files a power cut left behind. Safe to call at every start. */
  async cleanup(): Promise<void> {
    try {
      await removeStaleTempFiles(this.dir, this.fs);
    } catch (err) {
      if (!isEnoent(err)) throw storageError('cleanup', err);
    }
  }

  /** Factory reset: forgets everything (commit marker first). */
  async reset(): Promise<void> {
    try {
      await this.fs.rm(this.path(DEVICE_MARKER_FILE), { force: true });
      await this.fs.rm(this.dir, { recursive: true, force: true });
    } catch (err) {
      throw storageError('reset', err);
    }
  }
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Wraps a file-system failure; the detail names the operation, never the content. */
export function storageError(operation: string, cause: unknown): ProvisioningError {
  if (cause instanceof ProvisioningError) return cause;
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new ProvisioningError('STORAGE_FAILED', { detail: errno ? `${operation}: ${errno}` : operation, cause });
}
