/**
 * How the nmcli and wpa_cli backends run their tools: execFile-like (no shell), with optional stdin
 * so that secrets travel on a pipe, never in argv (which any user can read in `ps`). Tests inject a
 * runner that replays recorded outputs.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit status; a signal-killed process reports -1. */
  exitCode: number;
}

export interface CommandOptions {
  stdin?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Resolves with the result whatever the exit status; rejects only when the tool cannot start (ENOENT). */
export type CommandRunner = (file: string, args: readonly string[], options?: CommandOptions) => Promise<CommandResult>;

/** Per-command time limit by default (ms): a hung tool must not hang provisioning. */
export const COMMAND_TIMEOUT_MS = 60_000;

export const spawnRunner: CommandRunner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      // The C locale keeps the tools' messages in English, which the error mapping reads.
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? -1 }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
