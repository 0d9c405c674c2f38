/**
 * The product's pre-provisioning hook (cloud/hook) for the template's hook ARN: the function
 * deployed to the emulator's Lambda when there is one (as AWS runs the Lambda that
 * `npx tp-setup --real` deploys), otherwise the same module in-process. It calls this emulator's control plane
 * with credentials that carry only the hook role's policy (cloud/deploy/documents.ts), so a missing
 * permission fails here as it would in AWS.
 */
import { randomBytes } from 'node:crypto';
import { IoTClient } from '@aws-sdk/client-iot';
import { createPreProvisioningHook } from '../hook/index.js';
import { HOOK_FUNCTION_NAME, HOOK_ROLE_NAME, hookFunctionArn, hookRolePolicy } from '../deploy/index.js';
import type { HookHandler, PreProvisioningHookOutput } from './broker/index.js';
import type { EmulatedLambda } from './lambda/index.js';
import type { CredentialStore, PolicyDocument } from './contracts/index.js';

export interface ProductHookOptions {
  region: string;
  accountId: string;
  /** The control plane's URL. */
  endpoint: string;
  credentials: CredentialStore;
  /** Where a deployed hook function is looked up first. */
  lambda: EmulatedLambda;
  now?: () => Date;
  log?: (line: string) => void;
}

export function productHookTargets(options: ProductHookOptions): {
  targets: Record<string, HookHandler>;
  close(): void;
} {
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const account = { region: options.region, accountId: options.accountId };
  options.credentials.put({
    accessKeyId,
    secretAccessKey,
    principalArn: `arn:aws:sts::${options.accountId}:assumed-role/${HOOK_ROLE_NAME}/${HOOK_FUNCTION_NAME}`,
    policies: [hookRolePolicy(account) as unknown as PolicyDocument],
  });
  const iot = new IoTClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: { accessKeyId, secretAccessKey },
  });
  const handler = createPreProvisioningHook({
    iot,
    ...(options.now ? { now: options.now } : {}),
    log: options.log ?? (() => undefined),
  });
  const arn = hookFunctionArn(account);
  // Deployed to the emulator's Lambda (setup --real against it): AWS's path, the deployed bundle.
  const target: HookHandler = async (input) => {
    const fn = options.lambda.functionFor(arn);
    if (!fn) return handler(input);
    return (await options.lambda.invokeAsService(fn, input, {
      service: 'iot.amazonaws.com',
      sourceArn: input.templateArn,
      sourceAccount: options.accountId,
    })) as PreProvisioningHookOutput;
  };
  return {
    targets: { [arn]: target },
    close() {
      iot.destroy();
      options.credentials.delete(accessKeyId);
    },
  };
}
