import { readFileSync } from 'node:fs';
import { ProvisioningError } from '../../../protocol/index.js';
import type { CliIo } from './io.js';

/** Longest secret read from a file or a prompt, characters (a WPA passphrase is at most 64). */
export const MAX_SECRET_CHARS = 1024;

/** Reads a secret from a file: the first line, without its line ending. The file name is not secret. */
export function readSecretFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProvisioningError('CONFIG_INVALID', {
      detail: `${what} file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    });
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length === 0 || line.length > MAX_SECRET_CHARS)
    throw new ProvisioningError('CONFIG_INVALID', { detail: `${what} file ${path} must hold one non-empty line` });
  return line;
}

/** Which secret a prompt asks for, and the other ways to give it (named when stdin has none). */
export interface SecretSource {
  readonly what: string;
  readonly alternatives: string;
}

/**
 * Asks for a secret on the terminal without echoing it (raw mode); without a terminal, reads one
 * line from stdin (a pipe).
 */
export async function promptSecret(io: CliIo, prompt: string, source: SecretSource): Promise<string> {
  io.stderr.write(prompt);
  const tty = io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  if (tty) io.stdin.setRawMode!(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const finish = (err?: Error): void => {
        io.stdin.off('data', onData);
        io.stdin.off('end', onEnd);
        io.stdin.pause();
        io.stderr.write('\n');
        if (err) reject(err);
        else resolve(value);
      };
      const onEnd = (): void =>
        finish(
          value
            ? undefined
            : new ProvisioningError('CONFIG_INVALID', {
                detail: `no ${source.what} on stdin${io.stdin.isTTY === true ? '' : ' (not a terminal)'}: pipe it in, or give it with ${source.alternatives}`,
              }),
        );
      const onData = (chunk: Buffer | string): void => {
        for (const ch of chunk.toString()) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003') return finish(new ProvisioningError('ABORTED', { detail: 'cancelled at the prompt' }));
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else if (value.length < MAX_SECRET_CHARS) value += ch;
        }
      };
      io.stdin.on('data', onData);
      io.stdin.on('end', onEnd);
      io.stdin.resume();
    });
  } finally {
    if (tty) io.stdin.setRawMode!(false);
  }
}
