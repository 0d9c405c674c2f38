export {
  fsyncDir,
  removeStaleTempFiles,
  SECRET_DIR_MODE,
  SECRET_FILE_MODE,
  writeFileAtomic,
  writeFileAtomicSync,
} from './atomic-file.js';
export type { WriteFileAtomicOptions } from './atomic-file.js';
export { CredentialStore, storageError } from './credential-store.js';
export type { CommittedCredentials, CredentialStoreOptions, PendingCredentials } from './credential-store.js';
export { MAX_JOURNAL_BYTES, ProvisioningJournal } from './journal.js';
export type { JournalEntry, JournalOptions, JournalRecord, LoadedJournal } from './journal.js';
export { nodeFs, isEnoent } from './fs-ops.js';
export type { FileHandleOps, FsOps } from './fs-ops.js';
export { crashingFs, SimulatedCrash } from './crash-harness.js';
export type { CrashingFs } from './crash-harness.js';
