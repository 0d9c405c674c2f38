/**
 * vitest `globalSetup`: builds dist/ from this tree (apps/build.mjs, the `prepare` step of `npm
 * install`, about a second) before any test starts, so that the tests that spawn a program can run
 * it as it ships (`node dist/…/cli.js`, what `npx tp-…` runs) and not under tsx, whose loader costs
 * each process about 0.7 s of CPU, with the certainty that dist/ is the source under test.
 */
import { execFileSync } from 'node:child_process';
import { REPO } from '../support/built.js';

export function setup(): void {
  execFileSync(process.execPath, ['apps/build.mjs'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
}
