/**
 * The provisioning journal: an append-only file of the job's steps, one JSON record a line, each
 * with a sequence number and a short SHA-256 of its content, fsynced after every append. `load()`
 * tolerates a torn last record (a power cut mid-append): it is dropped and the file is rewritten
 * atomically without it, so the next append starts on a clean line. Anything corrupt before the
 * last line is not a torn write: it is reported as STORAGE_FAILED rather than guessed around.
 *
 * The journal holds no secrets (no keys, no tokens; those live in the credential store) but is
 * still written 0600 next to them.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { ProvisioningError } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import { fsyncDir, SECRET_DIR_MODE, SECRET_FILE_MODE, writeFileAtomic } from './atomic-file.js';
import { storageError } from './credential-store.js';
import type { FsOps } from './fs-ops.js';
import { isEnoent, nodeFs } from './fs-ops.js';

/** Largest journal accepted, in bytes (a job writes about a dozen ~200-byte records). */
export const MAX_JOURNAL_BYTES = 1024 * 1024;

/** Every step the provisioning job records, in the order it normally happens. */
export type JournalEntry =
  | { step: 'job-accepted'; jobId: string }
  | { step: 'wifi-joined'; ssid: string }
  | { step: 'cloud-connected'; certificate: 'claim' | 'permanent' }
  | { step: 'key-generated'; keyAlgorithm: string }
  /** Written before the request goes out: if no `certificate-issued` follows, the cloud may hold an unused PENDING_ACTIVATION certificate. */
  | { step: 'certificate-requested'; mode: 'csr' | 'create-keys' }
  /** Written after the certificate, key and ownership token are saved in the credential store. */
  | { step: 'certificate-issued'; certificateId: string }
  /** A pending certificate given up (its ownership token expired): never activated, left PENDING_ACTIVATION in the cloud. */
  | { step: 'certificate-abandoned'; certificateId: string; reason: string }
  | { step: 'register-requested'; certificateId: string }
  | { step: 'thing-registered'; certificateId: string; thingName: string }
  | { step: 'verified'; certificateId: string; thingName: string }
  | { step: 'committed'; certificateId: string; thingName: string }
  | { step: 'failed'; code: ErrorCode; detail?: string };

export type JournalRecord = JournalEntry & { seq: number; at: string };

export interface LoadedJournal {
  records: JournalRecord[];
  /** True when a torn last record was found (and dropped). */
  tornTail: boolean;
}

export interface JournalOptions {
  path: string;
  fs?: FsOps;
  now?: () => Date;
}

function digest(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

function encodeLine(record: JournalRecord): string {
  const body = JSON.stringify(record);
  return `${body}\t${digest(body)}\n`;
}

function decodeLine(line: string): JournalRecord | undefined {
  const tab = line.lastIndexOf('\t');
  if (tab < 0) return undefined;
  const body = line.slice(0, tab);
  if (digest(body) !== line.slice(tab + 1)) return undefined;
  try {
    const record = JSON.parse(body) as JournalRecord;
    return typeof record.seq === 'number' && typeof record.step === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

export class ProvisioningJournal {
  readonly path: string;
  private readonly fs: FsOps;
  private readonly now: () => Date;
  private records: JournalRecord[] | undefined;

  constructor(options: JournalOptions) {
    this.path = options.path;
    this.fs = options.fs ?? nodeFs;
    this.now = options.now ?? (() => new Date());
  }

  /** Reads the journal, dropping (and cleaning away) a torn last record. */
  async load(): Promise<LoadedJournal> {
    let text: string;
    try {
      const buf = await this.fs.readFile(this.path);
      if (buf.length > MAX_JOURNAL_BYTES)
        throw new ProvisioningError('STORAGE_FAILED', { detail: `journal larger than ${MAX_JOURNAL_BYTES} bytes` });
      text = buf.toString('utf8');
    } catch (err) {
      if (!isEnoent(err)) throw storageError('read journal', err);
      this.records = [];
      return { records: [], tornTail: false };
    }
    const lines = text.split('\n');
    const complete = text.endsWith('\n') || text.length === 0;
    const last = lines.pop() ?? '';
    const records: JournalRecord[] = [];
    let tornTail = !complete && last.length > 0;
    lines.forEach((line, i) => {
      const record = decodeLine(line);
      if (record && record.seq === records.length + 1) {
        records.push(record);
        return;
      }
      // Only the final record can be torn by a power cut; anything earlier is corruption.
      if (i === lines.length - 1 && complete) tornTail = true;
      else throw new ProvisioningError('STORAGE_FAILED', { detail: `journal record ${i + 1} is corrupt` });
    });
    if (tornTail) await this.rewrite(records);
    this.records = records;
    return { records: [...records], tornTail };
  }

  private async rewrite(records: JournalRecord[]): Promise<void> {
    try {
      await writeFileAtomic(this.path, records.map(encodeLine).join(''), { mode: SECRET_FILE_MODE, fs: this.fs });
    } catch (err) {
      throw storageError('rewrite journal', err);
    }
  }

  /** Appends one record and makes it durable before returning. */
  async append(entry: JournalEntry): Promise<JournalRecord> {
    if (!this.records) await this.load();
    const records = this.records as JournalRecord[];
    const record: JournalRecord = { ...entry, seq: records.length + 1, at: this.now().toISOString() };
    try {
      const dir = dirname(this.path);
      await this.fs.mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
      const handle = await this.fs.open(this.path, 'a', SECRET_FILE_MODE);
      try {
        await handle.writeFile(encodeLine(record));
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (record.seq === 1) await fsyncDir(dir, this.fs);
    } catch (err) {
      // The in-memory view may now disagree with the file: reload before the next append.
      this.records = undefined;
      throw storageError('append journal', err);
    }
    records.push(record);
    return record;
  }

  /** Starts over (factory reset or a fresh job after a finished one). */
  async clear(): Promise<void> {
    try {
      await this.fs.rm(this.path, { force: true });
    } catch (err) {
      throw storageError('clear journal', err);
    }
    this.records = [];
  }
}
