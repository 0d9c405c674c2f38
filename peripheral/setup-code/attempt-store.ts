/**
 * The device's durable attempt counter (SESSION.md, "Attempt limit"): one small JSON file, written
 * atomically with mode 0600 on every change, so a reconnect or a restart never resets the count.
 */
import { readFileSync } from 'node:fs';
import { ProvisioningError } from '../../protocol/index.js';
import {
  INITIAL_ATTEMPT_STATE,
  isAttemptState,
  type AttemptState,
  type AttemptStore,
} from '../../protocol/session/index.js';
import { writeFileAtomicSync } from '../storage/index.js';

export class FileAttemptStore implements AttemptStore {
  constructor(
    readonly path: string,
    /** What an unreadable (corrupt) file counts as: by default, failures enough for a lock-out. */
    private readonly onCorrupt: AttemptState = { failures: 5, lockedUntilMs: 0 },
  ) {}

  load(): AttemptState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return INITIAL_ATTEMPT_STATE;
      throw new ProvisioningError('STORAGE_FAILED', { detail: `cannot read ${this.path}`, cause: err });
    }
    try {
      const json: unknown = JSON.parse(text);
      if (isAttemptState(json)) return { failures: json.failures, lockedUntilMs: json.lockedUntilMs };
    } catch {
      // fall through: never reset the count because a file is unreadable
    }
    return this.onCorrupt;
  }

  save(state: AttemptState): void {
    try {
      writeFileAtomicSync(
        this.path,
        JSON.stringify({ failures: state.failures, lockedUntilMs: state.lockedUntilMs }) + '\n',
      );
    } catch (err) {
      throw new ProvisioningError('STORAGE_FAILED', { detail: `cannot write ${this.path}`, cause: err });
    }
  }
}
