/**
 * Every program and subcommand follows one command-line convention (protocol/cli-usage.ts):
 * `--help`/`-h` prints the usage on stdout and exits 0 without doing the work; an unknown flag prints
 * one line naming it plus a pointer to `--help` and exits 2. Each runs as the user runs it: a child
 * process of the built program (dist/, what `npx tp-…` runs; the benchmark runner, which is not
 * shipped, under tsx), one per subcommand for `--help` and for an unknown flag. That `-h` is `--help`
 * wherever it stands is the shared parser's (protocol/cli-usage.test.ts proves it): here `-h` runs once
 * per program file, to show each program hands its command line to that parser.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { built } from '../support/built.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** An empty directory as cwd and token cache: nothing a program reads by default is there. */
const EMPTY = mkdtempSync(join(tmpdir(), 'cli-conventions-'));
afterAll(() => rmSync(EMPTY, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Child processes at once: each loads its program (2 cores). */
const AT_ONCE = 3;
let running = 0;
const waiting: (() => void)[] = [];

async function run(program: string, args: string[]): Promise<Run> {
  while (running >= AT_ONCE) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    // stdin stays an open pipe: a program that prompted would wait on it (and the test time out).
    const entry = program.startsWith('bench/') ? ['--import', 'tsx', join(REPO, program)] : [built(program)];
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CENTRAL_TOKEN_CACHE: join(EMPTY, 'tokens.json'),
        CENTRAL_CONFIG: join(EMPTY, 'cloud.json'),
        BLE_TRANSPORT: `air:unix:${join(EMPTY, 'air.sock')}`,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** [label, program file, subcommand words]: every program of README.md and its subcommands. */
const PROGRAMS: [string, string, string[]][] = [
  ['air', 'ble/air/cli.ts', []],
  ['cloud', 'cloud/cli.ts', []],
  ['cloud hash-password', 'cloud/cli.ts', ['hash-password']],
  ['setup', 'cloud/setup/cli.ts', []],
  ['setup decommission', 'cloud/setup/cli.ts', ['decommission']],
  ['bench', 'bench/run.ts', []],
  ['central', 'apps/central/cli.ts', []],
  ...['login', 'logout', 'whoami', 'claim', 'devices', 'provision'].map((c): [string, string, string[]] => [
    `central ${c}`,
    'apps/central/cli.ts',
    [c],
  ]),
  ['device', 'apps/device/cli.ts', []],
  ...['start', 'status', 'reset', 'make-setup-code'].map((c): [string, string, string[]] => [
    `device ${c}`,
    'apps/device/cli.ts',
    [c],
  ]),
  ['make-setup-code', 'peripheral/setup-code/cli.ts', []],
  ['demo', 'demo/cli.ts', []],
  ['softap page build', 'softap-fallback/web/cli.ts', []],
  ['softap access point', 'softap-fallback/ap/cli.ts', []],
  ...['render', 'start', 'stop', 'status', 'passphrase'].map((c): [string, string, string[]] => [
    `softap access point ${c}`,
    'softap-fallback/ap/cli.ts',
    [c],
  ]),
];

const TIMEOUT_MS = 120_000;

/** `--help` of each command line, run once: its own test and the `-h` test of its program file read it. */
const helpRuns = new Map<string, Promise<Run>>();
function help(program: string, sub: string[]): Promise<Run> {
  const key = [program, ...sub].join(' ');
  let r = helpRuns.get(key);
  if (r === undefined) {
    r = run(program, [...sub, '--help']);
    helpRuns.set(key, r);
  }
  return r;
}

function expectUsage({ code, stdout, stderr }: Run): void {
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^usage: /);
  // The work itself did not run: no benchmark, no page build, no server, no device.
  expect(stdout).not.toMatch(/wrote |KiB|listening|running:/);
}

/** The first command line of each program file: where its `-h` runs. */
const FIRST_OF_FILE = new Set(PROGRAMS.filter(([, file], i) => PROGRAMS.findIndex(([, f]) => f === file) === i));

describe.concurrent('command-line conventions', () => {
  for (const entry of PROGRAMS) {
    const [label, program, sub] = entry;
    it(`${label} --help prints the usage and exits 0`, async () => expectUsage(await help(program, sub)), TIMEOUT_MS);

    if (FIRST_OF_FILE.has(entry)) {
      it(
        `${label} -h prints what --help prints and exits 0 (${program})`,
        async () => {
          const short = await run(program, [...sub, '-h']);
          expectUsage(short);
          expect(short.stdout).toBe((await help(program, sub)).stdout);
        },
        TIMEOUT_MS,
      );
    }

    it(
      `${label} --no-such-flag names the flag, points to --help and exits 2`,
      async () => {
        const { code, stdout, stderr } = await run(program, [...sub, '--no-such-flag']);
        expect(code, stderr).toBe(2);
        // On a Node past its end of life the one-line notice comes first (protocol/node-support.ts);
        // the program's own report is its last two lines.
        const lines = stderr.trimEnd().split('\n').slice(-2);
        expect(stderr.match(/no-such-flag/g), stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/: unknown option '--no-such-flag'$/);
        // Named as users run it: a bin as `npx tp-NAME`, the development tools as their script or file.
        expect(lines[1]).toMatch(
          /^run `(npx tp-[a-z]+|npm run (bench|web:build) --|npx tsx \S+)( \S+)? --help` for usage$/,
        );
        expect(stdout).toBe('');
      },
      TIMEOUT_MS,
    );
  }

  it(
    'central refuses a flag of another command (whoami --ssid) with exit 2',
    async () => {
      const { code, stderr } = await run('apps/central/cli.ts', ['whoami', '--ssid', 'x']);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain('tp-central: whoami does not take --ssid');
    },
    TIMEOUT_MS,
  );

  it(
    'central provision without --ssid exits 2 before the config is read or a setup code asked for',
    async () => {
      // No --setup-code: a prompt would come first if the flags were checked late; the config does not exist (exit 3 if read).
      const { code, stderr } = await run('apps/central/cli.ts', ['provision', '--device', 'pi-kitchen']);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain('--ssid is required');
      expect(stderr).not.toMatch(/Setup code|CONFIG_INVALID/);
    },
    TIMEOUT_MS,
  );

  it(
    'a missing required flag or a bad value is a usage error (exit 2) everywhere',
    async () => {
      const cases: [string, string[], RegExp][] = [
        [
          'cloud/setup/cli.ts',
          ['decommission', '--thing', 'mything_1', '--operator', 'ops'],
          /tp-setup: decommission needs --reason/,
        ],
        ['cloud/setup/cli.ts', ['--policy', 'open'], /tp-setup: --policy must be one of/],
        ['cloud/cli.ts', ['--iot-port', '70000'], /tp-cloud: --iot-port must be a port number/],
        ['ble/air/cli.ts', ['--clock', 'sundial'], /tp-air: --clock must be realtime or virtual/],
        ['apps/device/cli.ts', ['reset'], /tp-device: reset forgets .* add --yes/],
        ['apps/device/cli.ts', ['status', '--yes'], /tp-device: --yes is an option of reset/],
        ['demo/cli.ts', ['--devices', '0'], /tp-demo: --devices must be an integer/],
        ['bench/run.ts', ['no-such-bench'], /bench: unknown benchmark\(s\): no-such-bench/],
        [
          'softap-fallback/ap/cli.ts',
          ['render', '--device-id', 'pi-1', '--secret-file', 'x', '--country', 'DE'],
          /render needs --out/,
        ],
        ['softap-fallback/ap/cli.ts', ['stop', '--country', 'DE'], /stop does not take --country/],
      ];
      // Independent child processes: started together (run() bounds how many at once).
      const runs = await Promise.all(cases.map(([program, args]) => run(program, args)));
      cases.forEach(([program, args, message], i) => {
        const { code, stderr } = runs[i]!;
        expect(code, `${program} ${args.join(' ')}: ${stderr}`).toBe(2);
        expect(stderr).toMatch(message);
        expect(stderr).toContain('--help` for usage');
      });
    },
    TIMEOUT_MS,
  );
});
