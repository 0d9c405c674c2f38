import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { promptSecret } from './secret-input.js';

function io(stdin: PassThrough): CliIo & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true },
    stderr: {
      write: (t: string) => {
        err += t;
      },
    },
    stdin,
    env: {},
    openBrowser: () => false,
    err: () => err,
  };
}

describe('promptSecret', () => {
  it('reads one line from a pipe', async () => {
    const stdin = new PassThrough();
    const p = promptSecret(io(stdin), 'Wi-Fi password: ', {
      what: 'Wi-Fi password',
      alternatives: '--password-file FILE',
    });
    stdin.end('correct horse\nrest');
    await expect(p).resolves.toBe('correct horse');
  });

  it('with nothing on a non-terminal stdin, names the secret and the other ways to give it', async () => {
    const stdin = new PassThrough();
    const p = promptSecret(io(stdin), 'Setup code of pi-1: ', {
      what: 'setup code',
      alternatives: '--setup-code CODE, $CENTRAL_SETUP_CODE, or --qr PAYLOAD',
    });
    stdin.end();
    await expect(p).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      detail:
        'no setup code on stdin (not a terminal): pipe it in, or give it with --setup-code CODE, $CENTRAL_SETUP_CODE, or --qr PAYLOAD',
    });
  });
});
