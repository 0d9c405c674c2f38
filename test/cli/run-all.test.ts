/**
 * `npm test` (test/run-all.mjs) runs the checks beside vitest and fails when any part fails: run here
 * in a scratch project whose scripts stand in for the real ones (each a one-line shell command).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/built.js';

const dir = mkdtempSync(join(tmpdir(), 'run-all-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runAll(scripts: Record<string, string>): { code: number | null; out: string } {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', scripts }));
  const r = spawnSync(process.execPath, [join(REPO, 'test/run-all.mjs')], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const PASSING = {
  'format:check': 'echo formatted',
  typecheck: 'echo typed',
  lint: 'echo linted',
  'test:unit': 'echo "vitest: 1 passed, 0 failed, 0 skipped"',
};

describe('npm test (test/run-all.mjs)', () => {
  it('passes when every part passes, with vitest’s line and one line per check', () => {
    const r = runAll(PASSING);
    expect(r.code).toBe(0);
    expect(r.out).toContain('vitest: 1 passed, 0 failed, 0 skipped');
    expect(r.out).toMatch(/^format \(npm run format:check\): passed in \d+ s$/m);
    expect(r.out).toMatch(/^lint \(npm run lint\): passed in \d+ s$/m);
    expect(r.out).not.toContain('formatted'); // a passing check's own output is not repeated
  });

  it('fails when a check fails, and prints that check’s whole output', () => {
    const r = runAll({ ...PASSING, typecheck: 'echo "x.ts(1,1): error TS2322" && exit 2' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('=== typecheck (npm run typecheck) failed:\nx.ts(1,1): error TS2322');
    expect(r.out).toContain('npm test: typecheck failed');
  });

  it('fails with vitest’s exit code when the tests fail', () => {
    expect(runAll({ ...PASSING, 'test:unit': 'exit 3' }).code).toBe(3);
  });
});
