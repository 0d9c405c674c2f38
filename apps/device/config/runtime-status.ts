/**
 * What the running device says about itself, for `device status` (another process): whether its
 * BLE controller is there. `device start` keeps `<stateDir>/runtime.json` current (atomic, 0600)
 * and removes it on a clean stop; a file left by a process that is gone (SIGKILL, power cut) is
 * recognised by its pid and reported as `stopped`.
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../../peripheral/storage/index.js';

export const RUNTIME_STATUS_FILE = 'runtime.json';

/**
 * `unknown`: the device has not used its controller yet (BLE not started, e.g. provisioned and on
 * line); `unavailable`: no controller (lost, re-attaching); `stopped`: no device runs.
 */
export type BleAvailability = 'unknown' | 'available' | 'unavailable' | 'stopped';

export interface RuntimeStatus {
  pid: number;
  transport: string;
  ble: Exclude<BleAvailability, 'stopped'>;
  since: string;
}

export class RuntimeStatusFile {
  readonly path: string;
  #tail: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.path = join(stateDir, RUNTIME_STATUS_FILE);
  }

  /** Writes the status (in call order; a failure is reported to `onError`, never thrown). */
  write(status: RuntimeStatus, onError: (err: Error) => void): Promise<void> {
    this.#tail = this.#tail
      .then(() => writeFileAtomic(this.path, `${JSON.stringify(status)}\n`))
      .catch((err: unknown) => onError(err as Error));
    return this.#tail;
  }

  /**
   * Removes what a killed device left of an interrupted write (`.runtime.json.<random>.tmp`): the
   * atomic writer removes its temp file on failure, but SIGKILL or a power cut gives it no chance.
   * Called once at start, before this process writes; only this file's temp files are touched.
   */
  async removeStaleTempFiles(): Promise<void> {
    const dir = dirname(this.path);
    const prefix = `.${RUNTIME_STATUS_FILE}.`;
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const name of names)
      if (name.startsWith(prefix) && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }

  async remove(): Promise<void> {
    await this.#tail;
    await rm(this.path, { force: true });
  }

  /** The running device's view, or `stopped` when no live process wrote one. */
  static read(stateDir: string): { ble: BleAvailability; transport?: string; since?: string } {
    let status: RuntimeStatus;
    try {
      status = JSON.parse(readFileSync(join(stateDir, RUNTIME_STATUS_FILE), 'utf8')) as RuntimeStatus;
    } catch {
      return { ble: 'stopped' };
    }
    if (!Number.isInteger(status.pid) || !alive(status.pid)) return { ble: 'stopped' };
    return { ble: status.ble, transport: status.transport, since: status.since };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
