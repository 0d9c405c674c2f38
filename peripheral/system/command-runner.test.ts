import { describe, expect, it } from 'vitest';
import { spawnRunner } from './command-runner.js';

describe('spawnRunner', () => {
  const run = spawnRunner(15_000);

  it('runs without a shell and returns output and exit status', async () => {
    expect(await run('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(await run('/bin/echo', ['a;b', '$(id)'])).toEqual({ exitCode: 0, stdout: 'a;b $(id)\n', stderr: '' });
  });

  it('passes stdin on a pipe and runs the tools in the C locale', async () => {
    expect(await run('/bin/cat', [], { stdin: 'secret' })).toMatchObject({ exitCode: 0, stdout: 'secret' });
    expect(await run('/bin/sh', ['-c', 'echo "$LC_ALL $LANG"'])).toMatchObject({ stdout: 'C C\n' });
  });

  it('rejects when the command cannot run', async () => {
    await expect(run('/nonexistent/hostapd', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('kills a command past its time limit: a hung tool reports -1 (the bound, not a duration, is asserted)', async () => {
    expect(await spawnRunner(50)('/bin/sleep', ['30'])).toMatchObject({ exitCode: -1 });
    expect(await run('/bin/sleep', ['30'], { timeoutMs: 50 })).toMatchObject({ exitCode: -1 });
  });
});
