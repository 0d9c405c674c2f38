/**
 * `npm test`: the format check, ESLint and tsc run one after another beside `vitest run`, not before
 * it, at a lower scheduling priority. Most of vitest's time is spent waiting (sockets, child processes, the virtual air's clock), so
 * on the 2-core machine the static checks fit in its gaps: the whole takes about vitest's time
 * instead of vitest's plus about 80 s. vitest's report streams as it runs; each check's output is
 * printed whole after vitest ends (so the two never interleave), and the run fails if any part does.
 * vitest's closing line `vitest: N passed, N failed, N skipped` (which CI reads) comes before them.
 *
 * Plain JavaScript on purpose: it must run before anything is compiled or type-checked.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { constants, setPriority } from 'node:os';
import process from 'node:process';

/** The static checks, in the order they run (the cheapest first, so a format slip is reported fast). */
const CHECKS = [
  { name: 'format', script: 'format:check' },
  { name: 'typecheck', script: 'typecheck' },
  { name: 'lint', script: 'lint' },
];

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const children = new Set();

/**
 * The checks' scheduling priority (nice 10): below vitest's, so that they take the CPU vitest leaves
 * idle instead of stretching the tests' own waits. The checks end a little after vitest at worst.
 */
const CHECK_PRIORITY = 10;

/** Runs `npm run <script>`; resolves with its exit code and, when captured, its output. */
function run(script, capture) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(npm, ['run', '--silent', script], {
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    children.add(child);
    // Set before npm starts the script's own process, which inherits it; best effort (a platform
    // or container may refuse it, and the checks then simply run at vitest's priority).
    if (capture && child.pid !== undefined) {
      try {
        setPriority(child.pid, CHECK_PRIORITY);
      } catch {
        // not permitted here: same priority as vitest
      }
    }
    const chunks = [];
    if (capture) {
      child.stdout.on('data', (c) => chunks.push(c));
      child.stderr.on('data', (c) => chunks.push(c));
    }
    const done = (code) => {
      children.delete(child);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8'), seconds: (Date.now() - started) / 1000 });
    };
    child.on('error', (err) => {
      chunks.push(Buffer.from(`${String(err)}\n`));
      done(1);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

async function checks() {
  const results = [];
  for (const check of CHECKS) results.push({ ...check, ...(await run(check.script, true)) });
  return results;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    // As a shell reports a run stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM).
    process.exit(128 + constants.signals[signal]);
  });
}

const [checkResults, vitest] = await Promise.all([checks(), run('test:unit', false)]);
const failed = checkResults.filter((r) => r.code !== 0);
for (const r of checkResults) {
  if (r.code !== 0) process.stdout.write(`\n=== ${r.name} (npm run ${r.script}) failed:\n${r.output}`);
  else process.stdout.write(`${r.name} (npm run ${r.script}): passed in ${r.seconds.toFixed(0)} s\n`);
}
if (failed.length > 0) process.stdout.write(`npm test: ${failed.map((r) => r.name).join(', ')} failed\n`);
process.exitCode = failed.length > 0 ? 1 : vitest.code;
