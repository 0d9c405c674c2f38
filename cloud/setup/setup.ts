import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateProvisioningTemplateCommand,
  CreateProvisioningTemplateVersionCommand,
  DeletePolicyVersionCommand,
  DeleteProvisioningTemplateVersionCommand,
  DescribeProvisioningTemplateCommand,
  GetPolicyCommand,
  ListPolicyVersionsCommand,
  ListProvisioningTemplateVersionsCommand,
  ResourceNotFoundException,
  UpdateProvisioningTemplateCommand,
} from '@aws-sdk/client-iot';
import type { IoTClient } from '@aws-sdk/client-iot';
import {
  canonicalJson,
  devicePolicyDocument,
  HOOK_PAYLOAD_VERSION,
  hookFunctionArn,
  provisioningTemplateBody,
} from '../deploy/index.js';
import type { AccountRef } from '../deploy/index.js';
import { seedPolicyDocument } from './seed-policy.js';
import type { PolicyChoice } from './seed-policy.js';

/** AWS IoT keeps at most 5 versions of a policy or a provisioning template. */
export const MAX_VERSIONS = 5;

export interface SetupOptions extends AccountRef {
  policyName: string;
  templateName: string;
  /** The role AWS IoT assumes while provisioning (must exist in a real account). */
  provisioningRoleArn: string;
  /** Which device policy: the least-privilege one (default) or the seed's own (`--policy seed`). */
  policy?: PolicyChoice;
  /** The pre-provisioning hook's Lambda ARN (default: {@link hookFunctionArn}, the product's hook). */
  preProvisioningHookArn?: string;
}

export type SetupAction = 'created' | 'updated' | 'unchanged';

export interface SetupResult {
  policy: { name: string; action: SetupAction };
  template: { name: string; arn?: string; action: SetupAction };
}

function isNotFound(err: unknown): boolean {
  return err instanceof ResourceNotFoundException || (err as { name?: string }).name === 'ResourceNotFoundException';
}

/**
 * Creates or brings up to date, idempotently, the device policy and the provisioning template.
 * A changed document becomes a new default version (the oldest non-default version is deleted when
 * AWS's limit of 5 is reached); an identical one is left alone.
 */
export async function runSetup(iot: IoTClient, options: SetupOptions): Promise<SetupResult> {
  const policyDoc = options.policy === 'seed' ? seedPolicyDocument(options) : devicePolicyDocument(options);
  const templateBody = provisioningTemplateBody(options.policyName);
  return {
    policy: { name: options.policyName, action: await ensurePolicy(iot, options.policyName, policyDoc) },
    template: { name: options.templateName, ...(await ensureTemplate(iot, options, templateBody)) },
  };
}

async function ensurePolicy(
  iot: IoTClient,
  policyName: string,
  document: Record<string, unknown>,
): Promise<SetupAction> {
  let current: string | undefined;
  try {
    current = (await iot.send(new GetPolicyCommand({ policyName }))).policyDocument;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify(document, null, 2) }));
    return 'created';
  }
  if (current !== undefined && canonicalJson(JSON.parse(current)) === canonicalJson(document)) return 'unchanged';
  const versions = (await iot.send(new ListPolicyVersionsCommand({ policyName }))).policyVersions ?? [];
  if (versions.length >= MAX_VERSIONS) {
    const oldest = versions
      .filter((v) => !v.isDefaultVersion)
      .sort((a, b) => Number(a.versionId) - Number(b.versionId))[0];
    if (oldest?.versionId)
      await iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: oldest.versionId }));
  }
  await iot.send(
    new CreatePolicyVersionCommand({
      policyName,
      policyDocument: JSON.stringify(document, null, 2),
      setAsDefault: true,
    }),
  );
  return 'updated';
}

async function ensureTemplate(
  iot: IoTClient,
  options: SetupOptions,
  body: Record<string, unknown>,
): Promise<{ arn?: string; action: SetupAction }> {
  const templateName = options.templateName;
  const hook = {
    targetArn: options.preProvisioningHookArn ?? hookFunctionArn(options),
    payloadVersion: HOOK_PAYLOAD_VERSION,
  };
  let described;
  try {
    described = await iot.send(new DescribeProvisioningTemplateCommand({ templateName }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const created = await iot.send(
      new CreateProvisioningTemplateCommand({
        templateName,
        description: 'Fleet provisioning by trusted user (BLE-first): thing mything_<SerialNumber>, pubsub policy',
        templateBody: JSON.stringify(body),
        provisioningRoleArn: options.provisioningRoleArn,
        preProvisioningHook: hook,
        enabled: true,
        type: 'FLEET_PROVISIONING',
      }),
    );
    return { ...(created.templateArn ? { arn: created.templateArn } : {}), action: 'created' };
  }
  const arn = described.templateArn;
  let action: SetupAction = 'unchanged';
  const sameBody =
    described.templateBody !== undefined && canonicalJson(JSON.parse(described.templateBody)) === canonicalJson(body);
  if (!sameBody) {
    const versions = (await iot.send(new ListProvisioningTemplateVersionsCommand({ templateName }))).versions ?? [];
    if (versions.length >= MAX_VERSIONS) {
      const oldest = versions
        .filter((v) => !v.isDefaultVersion)
        .sort((a, b) => (a.versionId ?? 0) - (b.versionId ?? 0))[0];
      if (oldest?.versionId !== undefined)
        await iot.send(new DeleteProvisioningTemplateVersionCommand({ templateName, versionId: oldest.versionId }));
    }
    await iot.send(
      new CreateProvisioningTemplateVersionCommand({
        templateName,
        templateBody: JSON.stringify(body),
        setAsDefault: true,
      }),
    );
    action = 'updated';
  }
  if (
    !described.enabled ||
    described.provisioningRoleArn !== options.provisioningRoleArn ||
    described.preProvisioningHook?.targetArn !== hook.targetArn
  ) {
    await iot.send(
      new UpdateProvisioningTemplateCommand({
        templateName,
        enabled: true,
        provisioningRoleArn: options.provisioningRoleArn,
        preProvisioningHook: hook,
      }),
    );
    action = 'updated';
  }
  return { ...(arn ? { arn } : {}), action };
}
