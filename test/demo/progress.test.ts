/** The demo's start-up progress lines: one when a step begins, one when it ends (or fails). */
import { describe, expect, it } from 'vitest';
import { step } from '../../demo/progress.js';

function ticking(): () => number {
  let t = 1000;
  return () => (t += 250);
}

describe('demo start-up progress', () => {
  it('prints the begin line before the step runs and the end line with its detail and duration', async () => {
    const lines: string[] = [];
    const result = await step(
      (l) => lines.push(l),
      'starting the air',
      () => {
        lines.push('(running)');
        return Promise.resolve('air:tcp:127.0.0.1:4000');
      },
      (spec) => `on ${spec}`,
      ticking(),
    );
    expect(result).toBe('air:tcp:127.0.0.1:4000');
    expect(lines).toEqual(['starting the air…', '(running)', 'starting the air: on air:tcp:127.0.0.1:4000 (250 ms)']);
  });

  it('says "done" when there is no detail', async () => {
    const lines: string[] = [];
    await step(
      (l) => lines.push(l),
      'setting up',
      () => Promise.resolve(undefined),
      undefined,
      ticking(),
    );
    expect(lines).toEqual(['setting up…', 'setting up: done (250 ms)']);
  });

  it('says a failed step failed and rethrows its error', async () => {
    const lines: string[] = [];
    const boom = new Error('port in use');
    await expect(
      step(
        (l) => lines.push(l),
        'starting the cloud emulator',
        () => Promise.reject(boom),
      ),
    ).rejects.toBe(boom);
    expect(lines).toEqual(['starting the cloud emulator…', 'starting the cloud emulator: failed']);
  });
});
