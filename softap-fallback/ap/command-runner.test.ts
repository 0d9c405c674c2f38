import { describe, expect, it } from 'vitest';
import { nodeCommandRunner } from './command-runner.js';

describe('nodeCommandRunner', () => {
  const run = nodeCommandRunner();

  it('runs without a shell and returns output and exit status', async () => {
    expect(await run('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(await run('/bin/echo', ['a;b', '$(id)'])).toEqual({ exitCode: 0, stdout: 'a;b $(id)\n', stderr: '' });
  });

  it('rejects when the command cannot run', async () => {
    await expect(run('/nonexistent/hostapd', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
