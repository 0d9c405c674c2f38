/**
 * The test run's own Node notice (test/setup/) reaches the workers: on a Node past its end of life
 * the notice is marked shown (the run printed it once, before the workers started) and the AWS SDK's
 * warning is off. What the fold does to console.warn (oidc-provider's line out, every other line
 * through) is protocol/node-support.test.ts's. On 22 and 24 nothing is changed.
 */
import { describe, expect, it } from 'vitest';
import { NODE_NOTICE_SHOWN, nodeSupportNotice } from '../../protocol/node-support.js';

const OLD_NODE = nodeSupportNotice(process.version) !== undefined;

describe('the test run folds the runtime warnings as the programs do', () => {
  it(OLD_NODE ? 'marks the notice shown and turns the AWS SDK warning off' : 'changes nothing here', () => {
    expect(process.env[NODE_NOTICE_SHOWN]).toBe(OLD_NODE ? '1' : undefined);
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe(OLD_NODE ? 'true' : undefined);
  });
});
