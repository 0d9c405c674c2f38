import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

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
  'test/cloud-control/**/*.test.ts',
  'test/cloud-identity/**/*.test.ts',
  'test/cloud-iot/**/*.test.ts',
  'test/peripheral-fleet/**/*.test.ts',
  'test/softap-server/**/*.test.ts',
  'test/softap-browser/**/*.test.ts',
  'test/central-softap/**/*.test.ts',
  // Programs as child processes, servers in process; no stack, no environment change of their own.
  'test/architecture/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/programs/**/*.test.ts',
  'test/cloud/**/*.test.ts',
  'test/security/broker-*.test.ts',
  'test/security/oidc-brute-force.test.ts',
  'test/security/sigv4-unsigned-payload.test.ts',
  'test/security/softap-*.test.ts',
  'test/security/takeover-*.test.ts',
  'test/central/{ack,auth,claim,cli}.test.ts',
  'test/device/{agent,cli,crash}.test.ts',
  'test/device-softap/{locked-agent,setup-transports}.test.ts',
  'test/demo/progress.test.ts',
  'test/web-app/{accessibility,bluetooth-emulation}.test.ts',
];
const EXCLUDE = ['node_modules/**', '**/dist/**'];

/**
 * The files that take longest (10-45 s each on the 2-core machine), longest first. vitest starts the
 * files it has timed before longest first, but a fresh clone (CI) has no timings and it would start
 * these in file-size order, project by project: one of them started last leaves a worker idle to
 * the end. Started first, the short files fill the gaps around them.
 */
const SLOW = [
  'test/cloud-control/aws-cli.test.ts',
  'test/demo/demo.test.ts',
  'test/faults/device-kill.test.ts',
  'test/cli/conventions.test.ts',
  'test/daemon/tcp-transport.test.ts',
  'test/session/recorded-session.test.ts',
  'test/faults/link-drop.test.ts',
  'test/web-app/flow.test.ts',
  'test/peripheral-fleet/provision.test.ts',
  'test/device/agent.test.ts',
  'test/bench/fleet.test.ts',
  'test/peripheral-fleet/crash-resume.test.ts',
  'test/programs/bins.test.ts',
  'test/device/crash.test.ts',
  'test/central/ble.test.ts',
  'test/faults/job-faults.test.ts',
  'test/cloud-iot/fleet-mqtt.test.ts',
];

// A renamed or removed file would silently lose its place: say so instead.
for (const path of SLOW) {
  if (!existsSync(new URL(path, import.meta.url)))
    throw new Error(`vitest.config.ts: SLOW names ${path}, which is gone`);
}

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = SLOW.findIndex((path) => f.moduleId.endsWith(`/${path}`));
      return i < 0 ? SLOW.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's own order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

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
    sequence: { sequencer: SlowFirstSequencer },
    // On a Node past its end of life: one notice for the run instead of the libraries' own runtime
    // warnings in every worker (as the programs do; test/setup/node-notice.ts). Then dist/ built from
    // this tree, for the tests that run the programs as they ship (test/setup/build-programs.ts).
    globalSetup: ['./test/setup/node-notice.ts', './test/setup/build-programs.ts'],
    setupFiles: ['./test/setup/fold-node-warnings.ts'],
    projects: [
      project('fast', FAST, false, EXHAUSTIVE),
      project('shared', SHARED, false),
      // Everything else, new folders included, in a fresh process per file.
      project('isolated', ['**/*.test.ts'], true, [...FAST, ...SHARED]),
    ],
  },
});
