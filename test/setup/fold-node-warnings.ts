/**
 * vitest `setupFiles`: each test file's first import, in its worker. What the programs' node-notice.ts
 * does (protocol/node-support.ts), without printing the notice again (test/setup/node-notice.ts
 * printed it once for the run): the AWS SDK's NodeVersionSupportWarning off, oidc-provider's
 * "Unsupported runtime" line swallowed; every other warning passes.
 */
import { foldNodeWarnings } from '../../protocol/node-support.js';

foldNodeWarnings(process, console);
