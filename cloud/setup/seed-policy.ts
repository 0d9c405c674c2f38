/**
 * The seed's own device policy ("pubsub" in /work/shared/seeds/000_…), offered as an explicit
 * choice (`npx tp-setup --policy seed`) so that AWS's unmodified pubsub sample runs as the seed
 * ran it: any client id starting with `test` (the sample's default is `test-<uuid>`), publish and
 * receive on `test/topic*`, subscribe to any filter. It is wider than the default least-privilege
 * policy (documents.ts: client id = thing name, own topics only); use it for the seed's walkthrough,
 * not for a fleet.
 */
import type { AccountRef } from '../deploy/index.js';

/** The policy choices of `npx tp-setup --policy …`. */
export const POLICY_CHOICES = ['least-privilege', 'seed'] as const;
export type PolicyChoice = (typeof POLICY_CHOICES)[number];

function arn(a: AccountRef, resource: string): string {
  return `arn:${a.partition ?? 'aws'}:iot:${a.region}:${a.accountId}:${resource}`;
}

export function seedPolicyDocument(a: AccountRef): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [arn(a, 'topic/test/topic*')] },
      { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: [arn(a, 'topicfilter/*')] },
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: [arn(a, 'client/test*')] },
    ],
  };
}
