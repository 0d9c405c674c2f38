/**
 * `central`: the phone, as a Node CLI (npx tp-central COMMAND). See central/README.md.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import './node-notice.js';
// Only the argument parser loads here; the commands load once the command line is understood
// (apps/central/cli/run.ts), so `--help` and usage errors answer at once.
import { runCli } from './cli/index.js';

/** Exits once stdout and stderr are flushed: noble's HCI transport would keep the process alive. */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then(exit, (err: unknown) => {
  console.error(err);
  exit(1);
});
