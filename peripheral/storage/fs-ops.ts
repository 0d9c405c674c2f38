/**
 * The file-system operations the device's storage uses, as one injectable object. Production uses
 * node:fs/promises; the crash harness (`crash-harness.ts`) wraps it to abort at the Nth mutating
 * operation, which is how every "power cut at step N" test is written.
 */
import * as fsp from 'node:fs/promises';

export interface FileHandleOps {
  writeFile(data: string | Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FsOps {
  open(path: string, flags: string, mode?: number): Promise<FileHandleOps>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void>;
  mkdir(path: string, options: { recursive: boolean; mode: number }): Promise<unknown>;
  chmod(path: string, mode: number): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<string[]>;
  appendFile(path: string, data: string, options: { mode: number }): Promise<void>;
}

export const nodeFs: FsOps = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
  mkdir: (path, options) => fsp.mkdir(path, options),
  chmod: (path, mode) => fsp.chmod(path, mode),
  readFile: (path) => fsp.readFile(path),
  readdir: (path) => fsp.readdir(path),
  appendFile: (path, data, options) => fsp.appendFile(path, data, options),
};

export function isEnoent(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
