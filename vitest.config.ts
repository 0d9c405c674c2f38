import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Projects `fast` and `shared` run their files one after another in a worker process they share
 * (`isolate: false`): starting a fresh fork and re-importing the dependency graph costs 1-3 s a file
 * on the 2-core machine, more than most of these files' tests. Their files hold no process-wide state:
 * no bleno/noble stack (the loader allows one transport per process), no process.env changes, no
 * global patches; each closes what it starts. Everything else (and any new folder) is `isolated`.
 */

/** The fast inner loop (`npm run test:fast`): unit tests beside the code and the in-process protocol tests. */
const FAST = [
  'protocol/**/*.test.ts',
  'ble/**/*.test.ts',
  'central/**/*.test.ts',
  'cloud/**/*.test.ts',
  'peripheral/**/*.test.ts',
  'softap-fallback/**/*.test.ts',
  'apps/**/*.test.ts',
  'demo/**/*.test.ts',
  'bench/**/*.test.ts',
  'test/protocol/**/*.test.ts',
  'test/session/**/*.test.ts',
  'test/docs/**/*.test.ts',
];
/** In FAST's folders but slow: one full handshake per byte position of a recorded session. */
const EXHAUSTIVE = ['test/session/recorded-session.test.ts'];
/** Integration tests that share a worker too: servers on port 0, closed by each file. */
const SHARED = [
  ...EXHAUSTIVE,
  'test/cloud/chain.test.ts',
  'test/cloud-control/**/*.test.ts',
  'test/cloud-identity/**/*.test.ts',
  'test/cloud-iot/**/*.test.ts',
  'test/peripheral-fleet/**/*.test.ts',
  'test/softap-server/**/*.test.ts',
  'test/softap-browser/**/*.test.ts',
  'test/central-softap/**/*.test.ts',
];
const EXCLUDE = ['node_modules/**', '**/dist/**'];

const project = (
  name: string,
  include: string[],
  isolate: boolean,
  exclude: string[] = [],
): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name, include, exclude: [...EXCLUDE, ...exclude], isolate },
});

export default defineConfig({
  test: {
    // Native addons (better-sqlite3, aws-crt, bleno/noble) are happiest in forked workers.
    pool: 'forks',
    // Two workers on the 2-core machine (vitest's default would be one): most integration tests wait
    // on sockets, child processes and the virtual air's clock, so a second worker overlaps the waits.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // On a Node past its end of life: one notice for the run instead of the libraries' own runtime
    // warnings in every worker (as the programs do; test/setup/node-notice.ts).
    globalSetup: ['./test/setup/node-notice.ts'],
    setupFiles: ['./test/setup/fold-node-warnings.ts'],
    projects: [
      project('fast', FAST, false, EXHAUSTIVE),
      project('shared', SHARED, false),
      // Everything else, new folders included, in a fresh process per file.
      project('isolated', ['**/*.test.ts'], true, [...FAST, ...SHARED]),
    ],
  },
});
