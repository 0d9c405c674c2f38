/**
 * A provisioning *job*: the Wi-Fi credentials, the claim and the template parameters, as received
 * from any transport. While a job runs it is kept in `job.json` (mode 0600, written atomically)
 * so that a device that loses power mid-run resumes it on boot without the phone. The file holds
 * the Wi-Fi passphrase and the claim key (a 5-minute credential that can only provision), and is
 * deleted as soon as the job ends, succeeds or fails.
 */
import { join } from 'node:path';
import { ProvisioningError } from '../../protocol/index.js';
import type { CertificateMode, ClaimMessage, WifiMessage } from '../../protocol/index.js';
import {
  SECRET_DIR_MODE,
  SECRET_FILE_MODE,
  writeFileAtomic,
  storageError,
  isEnoent,
  nodeFs,
} from '../storage/index.js';
import type { FsOps } from '../storage/index.js';
import type { WifiCredentials } from '../wifi/index.js';

export const JOB_FILE = 'job.json';
/** Largest job file accepted, bytes (two PEMs of at most 4 KiB each, a CA, parameters). */
export const MAX_JOB_FILE_BYTES = 64 * 1024;

export interface JobClaim {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly caPem?: string;
  readonly host: string;
  readonly port: number;
  readonly templateName: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** Claim expiry (CreateProvisioningClaim's expiration). */
  readonly expiresAt: Date;
  readonly certificateMode: CertificateMode;
}

export interface Job {
  readonly jobId: string;
  readonly wifi: WifiCredentials;
  readonly claim: JobClaim;
}

export function wifiFromMessage(m: WifiMessage): WifiCredentials {
  return {
    ssid: m.ssid,
    ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}),
    ...(m.hidden ? { hidden: true } : {}),
  };
}

export function claimFromMessage(m: ClaimMessage): JobClaim {
  return {
    certificatePem: m.certificatePem,
    privateKeyPem: m.privateKeyPem,
    ...(m.caPem !== undefined ? { caPem: m.caPem } : {}),
    host: m.host,
    port: m.port,
    templateName: m.templateName,
    parameters: { ...m.parameters },
    expiresAt: new Date(m.expiresAt * 1000),
    certificateMode: m.certificateMode ?? 'csr',
  };
}

interface JobFileV1 {
  version: 1;
  jobId: string;
  wifi: { ssid: string; passphrase?: string; hidden?: boolean };
  claim: Omit<JobClaim, 'expiresAt'> & { expiresAt: string };
}

/** The on-disk copy of the running job (see the module comment). */
export class JobFile {
  readonly path: string;
  private readonly fs: FsOps;

  constructor(dir: string, fs: FsOps = nodeFs) {
    this.path = join(dir, JOB_FILE);
    this.fs = fs;
  }

  async save(job: Job): Promise<void> {
    const body: JobFileV1 = {
      version: 1,
      jobId: job.jobId,
      wifi: {
        ssid: Buffer.from(job.wifi.ssid).toString('base64'),
        ...(job.wifi.passphrase !== undefined ? { passphrase: job.wifi.passphrase } : {}),
        ...(job.wifi.hidden ? { hidden: true } : {}),
      },
      claim: { ...job.claim, expiresAt: job.claim.expiresAt.toISOString() },
    };
    try {
      await this.fs.mkdir(join(this.path, '..'), { recursive: true, mode: SECRET_DIR_MODE });
      await writeFileAtomic(this.path, JSON.stringify(body), { mode: SECRET_FILE_MODE, fs: this.fs });
    } catch (err) {
      throw storageError('write job', err);
    }
  }

  /** The saved job, or undefined; a file that is not a job is reported as STORAGE_FAILED. */
  async load(): Promise<Job | undefined> {
    let text: string;
    try {
      const buf = await this.fs.readFile(this.path);
      if (buf.length > MAX_JOB_FILE_BYTES)
        throw new ProvisioningError('STORAGE_FAILED', { detail: `job file larger than ${MAX_JOB_FILE_BYTES} bytes` });
      text = buf.toString('utf8');
    } catch (err) {
      if (isEnoent(err)) return undefined;
      throw storageError('read job', err);
    }
    let body: JobFileV1;
    try {
      body = JSON.parse(text) as JobFileV1;
    } catch {
      throw new ProvisioningError('STORAGE_FAILED', { detail: 'job file is not JSON' });
    }
    if (
      body.version !== 1 ||
      typeof body.jobId !== 'string' ||
      typeof body.wifi?.ssid !== 'string' ||
      typeof body.claim?.certificatePem !== 'string'
    ) {
      throw new ProvisioningError('STORAGE_FAILED', { detail: 'job file has an unknown shape' });
    }
    const { passphrase, hidden } = body.wifi;
    return {
      jobId: body.jobId,
      wifi: {
        ssid: new Uint8Array(Buffer.from(body.wifi.ssid, 'base64')),
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(hidden ? { hidden } : {}),
      },
      claim: { ...body.claim, expiresAt: new Date(body.claim.expiresAt) },
    };
  }

  async remove(): Promise<void> {
    try {
      await this.fs.rm(this.path, { force: true });
    } catch (err) {
      throw storageError('remove job', err);
    }
  }
}
