/**
 * The tests' side of the programs' node-notice.ts (protocol/node-support.ts): on a Node past its end
 * of life, the libraries the tests load in-process (oidc-provider, the AWS SDK) would print their own
 * runtime warnings into the run's output, once per worker and mid-report. Here, as in the programs,
 * they are folded into the one notice, which the run prints once: `globalSetup` (the main process,
 * before any worker starts) prints it and marks it shown for every process started after it, and
 * `setupFiles` (each test file's first import, in its worker) turns off the AWS SDK's warning and
 * swallows oidc-provider's line. Every other warning still reaches the output.
 */
import { foldNodeWarnings, NODE_NOTICE_SHOWN } from '../../protocol/node-support.js';

/** vitest `globalSetup`: the notice once per run; workers and the programs tests start inherit the mark. */
export function setup(): void {
  // On a supported Node there is no notice, and nothing to mark.
  if (foldNodeWarnings(process, console)) process.env[NODE_NOTICE_SHOWN] = '1';
}
