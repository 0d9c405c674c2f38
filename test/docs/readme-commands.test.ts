/**
 * The docs' commands stay runnable: in README.md and every other Markdown file of the project (folder
 * READMEs, ARCHITECTURE.md, PROTOCOL.md, ...), every `npm run X` names a script whose program exists,
 * every `npx tp-NAME` a package.json bin built from a program that exists, every flag and subcommand
 * given (after `--` for npm run) is one that program declares (in its parseArgs options or its usage
 * text), and every file a command names exists. A program that has a bin is documented the one way
 * users run it, `npx tp-NAME` (what its usage text and error advice say too), never as the
 * development script `npm run NAME --`. Read statically: no program is started.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { scripts, bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};

/** The project's Markdown files (not dependencies, builds or data). */
function markdownFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(path));
    else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out;
}

/** The bin whose program a script runs from source, if any (`cloud` -> `tp-cloud`). */
function binOfScript(script: string): string | undefined {
  const entry = /\btsx\s+(\S+)\.ts\b/.exec(scripts[script] ?? '')?.[1];
  return Object.entries(bin).find(([, target]) => target === `dist/${entry}.js`)?.[0];
}

/** Commands in ```sh blocks and in inline code that starts with `npm run` or `npx tp-`, without comments. */
function readmeCommands(markdown: string): string[] {
  const fenced = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split('\n'));
  const inline = [...markdown.matchAll(/`((?:npm run|npx tp-)[^`]+)`/g)].map((m) => m[1]!);
  return [...fenced, ...inline]
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Shell words, with single- and double-quoted strings kept whole. */
function words(line: string): string[] {
  return [...line.matchAll(/'[^']*'|"[^"]*"|\S+/g)].map((m) => m[0]);
}

/** The source of a program (its entry file) and the non-test .ts files of its folder tree. */
function programSource(entry: string | undefined): { entry: string; text: string } {
  if (!entry) return { entry: '', text: '' };
  const dir = dirname(join(ROOT, entry));
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) files.push(path);
    }
  };
  if (existsSync(join(ROOT, entry))) {
    walk(dir);
    // A command line it hands to another folder's CLI (`tp-device make-setup-code`): that folder's too.
    for (const [, spec] of readFileSync(join(ROOT, entry), 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)) {
      const imported = dirname(join(dirname(join(ROOT, entry)), spec!));
      if (!imported.startsWith(dir) && existsSync(join(imported, 'cli.ts'))) walk(imported);
    }
  }
  return { entry, text: files.map((f) => readFileSync(f, 'utf8')).join('\n') };
}

function declares(text: string, word: string): boolean {
  const esc = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`--${esc}\\b|'${esc}'|\\b${esc}:|^\\s+${esc}\\b`, 'm').test(text);
}

/** What is wrong with one command (empty when nothing). */
function problems(line: string): string[] {
  const w = words(line);
  if (w[0] === 'npx' && w[1]?.startsWith('tp-')) return binProblems(w[1], w.slice(2));
  if (w[0] !== 'npm') return [];
  if (w[1] === 'install' || w[1] === 'test') return [];
  if (w[1] !== 'run') return [`npm ${w[1]}: only install, test and run are documented`];
  const rest = w.slice(2).filter((x) => x !== '--silent');
  const script = rest[0]!;
  if (!(script in scripts)) return [`npm run ${script}: no such script in package.json`];
  const program = binOfScript(script);
  if (program !== undefined) return [`npm run ${script}: document the program as users run it, npx ${program}`];
  const dash = rest.indexOf('--');
  const args = dash < 0 ? [] : rest.slice(dash + 1);
  const entry = /\btsx\s+(\S+\.ts)/.exec(scripts[script] ?? '')?.[1];
  return argumentProblems(`npm run ${script}`, entry, args, script === 'bench');
}

/** `npx NAME ARGS`: NAME is a package.json bin, built from a source file that exists. */
function binProblems(name: string, args: string[]): string[] {
  const target = bin[name];
  if (target === undefined) return [`npx ${name}: no such bin in package.json`];
  // dist/X.js is built from X.ts (apps/build.mjs).
  const entry = /^dist\/(.+)\.js$/.exec(target)?.[1];
  if (entry === undefined) return [`npx ${name}: its bin ${target} is not a build of a source file`];
  return argumentProblems(`npx ${name}`, `${entry}.ts`, args, false);
}

function argumentProblems(command: string, file: string | undefined, args: string[], free: boolean): string[] {
  const { entry, text } = programSource(file);
  if (!entry) return [];
  if (!existsSync(join(ROOT, entry))) return [`${command}: its program ${entry} does not exist`];
  const out: string[] = [];
  const sub = args[0] !== undefined && !args[0].startsWith('-') && !free ? args[0] : undefined;
  if (sub && !declares(text, sub)) out.push(`${command}: ${entry} knows no subcommand ${sub}`);
  for (const a of args.filter((x) => x.startsWith('--'))) {
    const name = a.slice(2).split('=')[0]!;
    if (!declares(text, name)) out.push(`${command}: ${entry} declares no flag --${name}`);
  }
  return out;
}

describe('commands in README.md and the other docs', () => {
  const commands = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const docs = markdownFiles().map((path) => ({
    doc: relative(ROOT, path),
    commands: readmeCommands(readFileSync(path, 'utf8')),
  }));

  it("are found (the reader below sees the README's blocks, and the folders' docs)", () => {
    expect(commands).toEqual(expect.arrayContaining(['npm install', 'npm test', 'npx tp-demo']));
    expect(commands.filter((c) => c.startsWith('npx tp-central')).length).toBeGreaterThan(2);
    expect(docs.map((d) => d.doc)).toEqual(expect.arrayContaining(['cloud/README.md', 'central/README.md']));
  });

  it('name scripts and bins that exist, with flags and subcommands their programs declare', () => {
    expect(docs.flatMap(({ doc, commands }) => commands.flatMap(problems).map((p) => `${doc}: ${p}`))).toEqual([]);
  });

  it('would catch a wrong script, subcommand or flag', () => {
    expect(problems('npm run nosuch')).toEqual(['npm run nosuch: no such script in package.json']);
    expect(problems('npm run central -- login')).toEqual([
      'npm run central: document the program as users run it, npx tp-central',
    ]);
    expect(problems('npm run bench -- --no-such-flag')).toEqual([
      'npm run bench: bench/run.ts declares no flag --no-such-flag',
    ]);
    expect(problems('npx tp-nosuch')).toEqual(['npx tp-nosuch: no such bin in package.json']);
    expect(problems('npx tp-device frobnicate --no-such-flag')).toEqual([
      'npx tp-device: apps/device/cli.ts knows no subcommand frobnicate',
      'npx tp-device: apps/device/cli.ts declares no flag --no-such-flag',
    ]);
  });
});
