/**
 * How the device runs its system tools (nmcli, wpa_cli for the station; ip, iw, hostapd, dnsmasq,
 * nmcli, kill for the setup access point): execFile-like (no shell, arguments as an array), with
 * optional stdin so that secrets travel on a pipe, never in argv (which any user can read in `ps`).
 * Each user bounds its commands with its own time limit; tests inject a runner that replays
 * recorded outputs.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; a signal-killed process (a timed-out one included) reports -1. */
  readonly exitCode: number;
}

export interface CommandOptions {
  stdin?: string;
  /** This call's time limit, instead of the runner's (ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Resolves with the result whatever the exit status; rejects only when the tool cannot start (ENOENT). */
export type CommandRunner = (file: string, args: readonly string[], options?: CommandOptions) => Promise<CommandResult>;

/** The runner of the real system: each command is killed after `timeoutMs` (a hung tool must not hang the device). */
export function spawnRunner(timeoutMs: number): CommandRunner {
  return (file, args, options = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        // The C locale keeps the tools' messages in English, which the error mappings read.
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? -1 }));
      // EPIPE when a tool exits without reading its stdin is normal; its exit status tells what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin ?? '');
    });
}
