/**
 * A CommandRunner for tests that answers from a script of recorded outputs and records every
 * call (argv and stdin), so tests can assert what ran and that no secret reached argv.
 */
import type { CommandOptions, CommandResult, CommandRunner } from '../system/index.js';

export interface RecordedCall {
  file: string;
  args: string[];
  stdin?: string;
}

export type Responder = (args: string[], stdin: string | undefined) => Partial<CommandResult> | undefined;

export function scriptedRunner(responder: Responder): CommandRunner & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const run = (file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> => {
    calls.push({ file, args: [...args], ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
    const r = responder([...args], options.stdin) ?? { stdout: '', exitCode: 0 };
    return Promise.resolve({ stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.exitCode ?? 0 });
  };
  return Object.assign(run, { calls });
}
