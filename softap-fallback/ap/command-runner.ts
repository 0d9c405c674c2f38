/**
 * How the Linux backend runs ip, hostapd, dnsmasq, nmcli, iw and kill: an injected, execFile-like
 * function (no shell, arguments as an array). Tests pass a recording runner; production passes
 * {@link nodeCommandRunner}.
 */
import { execFile } from 'node:child_process';
import { COMMAND_TIMEOUT_MS } from './limits.js';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Resolves with the exit status (non-zero included); rejects only when the command could not run. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

export interface NodeCommandRunnerOptions {
  timeoutMs?: number;
}

export function nodeCommandRunner(options: NodeCommandRunnerOptions = {}): CommandRunner {
  const timeout = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  return (file, args) =>
    new Promise((resolve, reject) => {
      execFile(file, [...args], { timeout, encoding: 'utf8', windowsHide: true }, (err, stdout, stderr) => {
        if (err === null) return resolve({ exitCode: 0, stdout, stderr });
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number' && !err.killed) return resolve({ exitCode: code, stdout, stderr });
        reject(err);
      });
    });
}
