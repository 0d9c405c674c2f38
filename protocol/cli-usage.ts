/**
 * The command-line conventions every program of this project follows (device, phone, cloud, tools):
 * `--help`/`-h` prints the usage on stdout and exits 0; a usage error (unknown flag, missing required
 * flag, bad value) prints one line naming the problem and one line pointing to `--help` on stderr
 * and exits 2. Pure text work (protocol/ imports no node:*): the programs parse with node:util
 * `parseArgs` and hand the parse step here, so both the device side and the phone side can use it.
 */

export const EXIT_OK = 0;
/** Exit code of a usage error, in every program. */
export const EXIT_USAGE = 2;

/** A usage problem found after parsing: a missing required flag, a bad value, flags that do not go together. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** How a program names itself in errors, and the command that shows its usage. */
export interface CliProgram {
  /** e.g. `tp-air` */
  name: string;
  /** e.g. `npx tp-air --help` */
  help: string;
}

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** `--help` or `-h` among the options (before a `--` that ends them). */
export function helpAsked(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** The problem in one line, for a CliUsageError or a node:util parseArgs error; undefined for any other error. */
export function usageProblem(err: unknown): string | undefined {
  if (err instanceof CliUsageError) return err.message;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code !== 'string' || !e.code.startsWith('ERR_PARSE_ARGS_') || typeof e.message !== 'string')
    return undefined;
  // parseArgs follows its first sentence with advice about `--`: the pointer to --help says enough.
  const [sentence = ''] = e.message.split(/\.\s/, 1);
  const first = sentence.trim();
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** The two lines a usage error prints on stderr. */
export function usageErrorText(program: CliProgram, problem: string): string {
  return `${program.name}: ${problem}\nrun \`${program.help}\` for usage\n`;
}

/** Prints a usage error and returns EXIT_USAGE; undefined (nothing printed) when `err` is no usage problem. */
export function reportUsageError(program: CliProgram, err: unknown, out: CliOutput): number | undefined {
  const problem = usageProblem(err);
  if (problem === undefined) return undefined;
  out.stderr(usageErrorText(program, problem));
  return EXIT_USAGE;
}

export type ParsedCommandLine<T> = { ok: true; value: T } | { ok: false; exit: number };

/**
 * The argument step of a program: `--help`/`-h` prints `usage` (exit 0) before anything is checked;
 * `parse` (parseArgs plus the program's own checks) throwing a usage problem prints it (exit 2).
 * Any other error is rethrown.
 */
export function parseCommandLine<T>(
  program: CliProgram,
  usage: string,
  argv: readonly string[],
  parse: () => T,
  out: CliOutput,
): ParsedCommandLine<T> {
  if (helpAsked(argv)) {
    out.stdout(`${usage.trimEnd()}\n`);
    return { ok: false, exit: EXIT_OK };
  }
  try {
    return { ok: true, value: parse() };
  } catch (err) {
    const exit = reportUsageError(program, err, out);
    if (exit === undefined) throw err;
    return { ok: false, exit };
  }
}
