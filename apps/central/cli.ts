/**
 * `central`: the phone, as a Node CLI (npm run central -- COMMAND). See central/README.md.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import './node-notice.js';
import { openBrowser } from '../../central/auth/index.js';
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
  openBrowser: (url) => openBrowser(url),
}).then(exit, (err: unknown) => {
  console.error(err);
  exit(1);
});
