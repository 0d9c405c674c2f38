/**
 * The shared command-line step every program runs first (device, central, cloud, setup, air, demo,
 * bench, the SoftAP tools): what it proves here, test/cli/conventions.test.ts need not prove again per
 * subcommand in a child process — notably that `-h` is `--help` wherever it stands.
 */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CliUsageError, EXIT_OK, EXIT_USAGE, helpAsked, parseCommandLine, usageProblem } from './cli-usage.js';

const PROGRAM = { name: 'tp-tool', help: 'npx tp-tool --help' };
const USAGE = 'usage: tool COMMAND [--flag]\n  -h, --help  this text\n';

interface Printed {
  stdout: string;
  stderr: string;
}

/** parseCommandLine with a strict parseArgs of one flag; records what it printed and whether it parsed. */
function step(argv: string[]) {
  const printed: Printed = { stdout: '', stderr: '' };
  let parsed = false;
  const result = parseCommandLine(
    PROGRAM,
    USAGE,
    argv,
    () => {
      parsed = true;
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { flag: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.flag === 'bad') throw new CliUsageError('--flag must not be bad');
      return { values, positionals };
    },
    { stdout: (t) => (printed.stdout += t), stderr: (t) => (printed.stderr += t) },
  );
  return { result, printed, parsed };
}

/** Where `--help` may stand in a command line: alone, after a subcommand word, among flags, beside an unknown one. */
const WITH_HELP: string[][] = [
  ['--help'],
  ['start', '--help'],
  ['provision', '--flag', 'x', '--help'],
  ['--help', 'status'],
  ['whoami', '--no-such-flag', '--help'],
  ['--flag', 'bad', '--help'],
];

describe('helpAsked', () => {
  it('finds --help and -h alike, anywhere before a `--`', () => {
    for (const argv of WITH_HELP) {
      expect(helpAsked(argv), argv.join(' ')).toBe(true);
      expect(helpAsked(argv.map((a) => (a === '--help' ? '-h' : a))), argv.join(' ')).toBe(true);
    }
    expect(helpAsked([])).toBe(false);
    expect(helpAsked(['start', '--flag', 'x'])).toBe(false);
    expect(helpAsked(['start', '--', '--help'])).toBe(false);
    expect(helpAsked(['start', '--', '-h'])).toBe(false);
  });
});

describe('parseCommandLine', () => {
  it('answers -h exactly as --help: the usage on stdout, exit 0, nothing parsed or checked', () => {
    for (const argv of WITH_HELP) {
      const long = step(argv);
      const short = step(argv.map((a) => (a === '--help' ? '-h' : a)));
      expect(long).toEqual({
        result: { ok: false, exit: EXIT_OK },
        printed: { stdout: USAGE, stderr: '' },
        parsed: false,
      });
      expect(short, argv.join(' ')).toEqual(long);
    }
  });

  it('prints the usage once, ending in one newline', () => {
    expect(step(['-h']).printed.stdout).toBe('usage: tool COMMAND [--flag]\n  -h, --help  this text\n');
  });

  it('reports an unknown flag in two lines on stderr (the flag, then the pointer to --help), exit 2', () => {
    const { result, printed } = step(['start', '--no-such-flag']);
    expect(result).toEqual({ ok: false, exit: EXIT_USAGE });
    expect(printed).toEqual({
      stdout: '',
      stderr: "tp-tool: unknown option '--no-such-flag'\nrun `npx tp-tool --help` for usage\n",
    });
  });

  it("reports the program's own check (CliUsageError) the same way", () => {
    const { result, printed } = step(['--flag', 'bad']);
    expect(result).toEqual({ ok: false, exit: EXIT_USAGE });
    expect(printed.stderr).toBe('tp-tool: --flag must not be bad\nrun `npx tp-tool --help` for usage\n');
  });

  it('returns the parsed value when the command line is good, printing nothing', () => {
    const { result, printed } = step(['start', '--flag', 'x']);
    expect(result).toMatchObject({ ok: true, value: { values: { flag: 'x' }, positionals: ['start'] } });
    expect(printed).toEqual({ stdout: '', stderr: '' });
  });

  it('rethrows an error that is no usage problem', () => {
    const boom = new Error('disk on fire');
    const out = { stdout: () => undefined, stderr: () => undefined };
    expect(() =>
      parseCommandLine(
        PROGRAM,
        USAGE,
        [],
        () => {
          throw boom;
        },
        out,
      ),
    ).toThrow(boom);
    expect(usageProblem(boom)).toBeUndefined();
  });
});
