/**
 * Deploys the pre-provisioning hook (cloud/hook/pre-provisioning.ts) as a Lambda function for
 * `npx tp-setup --real`: bundles it with esbuild into one CommonJS file, zips it (stored), makes
 * sure its execution role exists with the hook policy (IAM), creates or updates the function, and
 * lets AWS IoT invoke it for this template only (`lambda:AddPermission`, principal
 * iot.amazonaws.com, source ARN the template, source account the account — AWS's confused-deputy
 * advice in "Pre-provisioning hooks"). A step the caller may not do (AccessDenied) becomes an exact
 * printed command instead, and the rest goes on.
 */
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { build } from 'esbuild';
import type { AccountRef } from '../deploy/index.js';
import {
  HOOK_FUNCTION_NAME,
  HOOK_ROLE_NAME,
  hookFunctionArn,
  hookRolePolicy,
  hookRoleTrustPolicy,
  writeStoredZip,
} from '../deploy/index.js';

export const HOOK_HANDLER = 'index.handler';
export const HOOK_RUNTIME = 'nodejs20.x';
/** AWS gives the hook 5 s; the function's own timeout matches. */
export const HOOK_TIMEOUT_SECONDS = 5;
export const HOOK_POLICY_NAME = 'pre-provisioning-hook';
export const INVOKE_STATEMENT_ID = 'AllowIoTPreProvisioningHook';
/** New IAM roles take seconds to be assumable by Lambda: CreateFunction is retried this often. */
const ROLE_PROPAGATION_ATTEMPTS = 10;

export interface HookDeployOptions extends AccountRef {
  templateName: string;
  functionName?: string;
  roleName?: string;
  /** Use this execution role as is (no IAM calls). */
  roleArn?: string;
  /** Where the package is written for a printed `--zip-file fileb://…` step. */
  zipPath?: string;
  /** Waits between role-propagation retries (tests pass a short one). */
  sleep?: (ms: number) => Promise<void>;
}

export type DeployAction = 'created' | 'updated' | 'unchanged' | 'manual';

export interface HookDeployResult {
  functionArn: string;
  role: { arn: string; action: DeployAction };
  function: { action: DeployAction; codeSha256: string };
  permission: { action: DeployAction };
  /** Exact commands for the steps the caller was not allowed to do. */
  manualSteps: string[];
  /** The deployment package, for the printed `--zip-file fileb://…` step. */
  zip: Buffer;
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

const isAccessDenied = (err: unknown): boolean =>
  ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation'].includes(errName(err));

/** The hook and the AWS SDK it uses, as one CommonJS file `index.js` in a stored zip. */
export async function packageHook(): Promise<Buffer> {
  // TypeScript beside this file in the source tree, JavaScript in the build (dist/).
  const entry = fileURLToPath(new URL(`../hook/pre-provisioning${extname(import.meta.url)}`, import.meta.url));
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const js = out.outputFiles[0];
  if (!js) throw new Error('esbuild produced no output for the hook');
  return writeStoredZip([{ name: 'index.js', data: js.contents }]);
}

/** Lambda's CodeSha256: base64 of the package's SHA-256. */
export function codeSha256(zip: Buffer): string {
  return createHash('sha256').update(zip).digest('base64');
}

async function ensureRole(iam: IAMClient, o: HookDeployOptions, manual: string[]): Promise<HookDeployResult['role']> {
  const roleName = o.roleName ?? HOOK_ROLE_NAME;
  const fallbackArn = `arn:${o.partition ?? 'aws'}:iam::${o.accountId}:role/${roleName}`;
  const policy = JSON.stringify(hookRolePolicy(o, o.functionName ?? HOOK_FUNCTION_NAME));
  try {
    let arn: string | undefined;
    let action: DeployAction = 'unchanged';
    try {
      arn = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn;
    } catch (err) {
      if (errName(err) !== 'NoSuchEntityException') throw err;
      arn = (
        await iam.send(
          new CreateRoleCommand({
            RoleName: roleName,
            AssumeRolePolicyDocument: JSON.stringify(hookRoleTrustPolicy()),
            Description: 'Execution role of the fleet pre-provisioning hook',
          }),
        )
      ).Role?.Arn;
      action = 'created';
    }
    // Put every time: idempotent, and brings an edited policy up to date.
    await iam.send(
      new PutRolePolicyCommand({ RoleName: roleName, PolicyName: HOOK_POLICY_NAME, PolicyDocument: policy }),
    );
    return { arn: arn ?? fallbackArn, action };
  } catch (err) {
    if (!isAccessDenied(err)) throw err;
    manual.push(
      `aws iam create-role --role-name ${roleName} --assume-role-policy-document '${JSON.stringify(hookRoleTrustPolicy())}'`,
      `aws iam put-role-policy --role-name ${roleName} --policy-name ${HOOK_POLICY_NAME} --policy-document '${policy}'`,
    );
    return { arn: fallbackArn, action: 'manual' };
  }
}

async function createFunction(
  lambda: LambdaClient,
  name: string,
  roleArn: string,
  zip: Buffer,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: HOOK_RUNTIME,
          Role: roleArn,
          Handler: HOOK_HANDLER,
          Code: { ZipFile: zip },
          Timeout: HOOK_TIMEOUT_SECONDS,
          MemorySize: 256,
          Description: 'Fleet provisioning pre-provisioning hook (refuses taken serials)',
        }),
      );
      return;
    } catch (err) {
      // A just-created role is not yet assumable: "The role defined for the function cannot be assumed by Lambda."
      if (errName(err) !== 'InvalidParameterValueException' || attempt >= ROLE_PROPAGATION_ATTEMPTS) throw err;
      await sleep(3000);
    }
  }
}

async function ensureFunction(
  lambda: LambdaClient,
  o: HookDeployOptions,
  roleArn: string,
  zip: Buffer,
  manual: string[],
): Promise<DeployAction> {
  const name = o.functionName ?? HOOK_FUNCTION_NAME;
  const sha = codeSha256(zip);
  const waiter = { client: lambda, maxWaitTime: 120, minDelay: 1, maxDelay: 5 };
  try {
    let current: string | undefined;
    try {
      current = (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration?.CodeSha256;
    } catch (err) {
      if (errName(err) !== 'ResourceNotFoundException') throw err;
      await createFunction(lambda, name, roleArn, zip, o.sleep ?? sleepMs);
      await waitUntilFunctionActiveV2(waiter, { FunctionName: name });
      return 'created';
    }
    if (current === sha) return 'unchanged';
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip }));
    await waitUntilFunctionUpdatedV2(waiter, { FunctionName: name });
    return 'updated';
  } catch (err) {
    if (!isAccessDenied(err)) throw err;
    return manualFunction(o, roleArn, manual);
  }
}

function templateArnOf(o: HookDeployOptions): string {
  return `arn:${o.partition ?? 'aws'}:iot:${o.region}:${o.accountId}:provisioningtemplate/${o.templateName}`;
}

function manualFunction(o: HookDeployOptions, roleArn: string, manual: string[]): DeployAction {
  const name = o.functionName ?? HOOK_FUNCTION_NAME;
  const zip = o.zipPath ?? 'pre-provisioning-hook.zip';
  manual.push(
    `aws lambda create-function --function-name ${name} --runtime ${HOOK_RUNTIME} --handler ${HOOK_HANDLER} --timeout ${HOOK_TIMEOUT_SECONDS} --role ${roleArn} --zip-file fileb://${zip}` +
      `   # exists already: aws lambda update-function-code --function-name ${name} --zip-file fileb://${zip}`,
  );
  return 'manual';
}

function manualPermission(o: HookDeployOptions, manual: string[]): DeployAction {
  manual.push(
    `aws lambda add-permission --function-name ${o.functionName ?? HOOK_FUNCTION_NAME} --statement-id ${INVOKE_STATEMENT_ID} --action lambda:InvokeFunction ` +
      `--principal iot.amazonaws.com --source-arn ${templateArnOf(o)} --source-account ${o.accountId}`,
  );
  return 'manual';
}

async function ensurePermission(lambda: LambdaClient, o: HookDeployOptions, manual: string[]): Promise<DeployAction> {
  const name = o.functionName ?? HOOK_FUNCTION_NAME;
  const sourceArn = templateArnOf(o);
  try {
    try {
      const policy = (await lambda.send(new GetPolicyCommand({ FunctionName: name }))).Policy;
      const statements =
        (JSON.parse(policy ?? '{}') as { Statement?: Array<{ Sid?: string; Condition?: unknown }> }).Statement ?? [];
      if (
        statements.some((s) => s.Sid === INVOKE_STATEMENT_ID && JSON.stringify(s.Condition ?? {}).includes(sourceArn))
      )
        return 'unchanged';
    } catch (err) {
      if (errName(err) !== 'ResourceNotFoundException') throw err;
    }
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: name,
        StatementId: INVOKE_STATEMENT_ID,
        Action: 'lambda:InvokeFunction',
        Principal: 'iot.amazonaws.com',
        SourceArn: sourceArn,
        SourceAccount: o.accountId,
      }),
    );
    return 'created';
  } catch (err) {
    if (!isAccessDenied(err)) throw err;
    return manualPermission(o, manual);
  }
}

export async function deployHook(
  clients: { lambda: LambdaClient; iam: IAMClient },
  options: HookDeployOptions,
): Promise<HookDeployResult> {
  const manualSteps: string[] = [];
  const zip = await packageHook();
  const role =
    options.roleArn !== undefined
      ? { arn: options.roleArn, action: 'unchanged' as const }
      : await ensureRole(clients.iam, options, manualSteps);
  // Without a role there is no function to create: the rest becomes printed steps too.
  const blocked = role.action === 'manual';
  const fn = blocked
    ? manualFunction(options, role.arn, manualSteps)
    : await ensureFunction(clients.lambda, options, role.arn, zip, manualSteps);
  const permission =
    blocked || fn === 'manual'
      ? manualPermission(options, manualSteps)
      : await ensurePermission(clients.lambda, options, manualSteps);
  return {
    functionArn: hookFunctionArn(options, options.functionName ?? HOOK_FUNCTION_NAME),
    role,
    function: { action: fn, codeSha256: codeSha256(zip) },
    permission: { action: permission },
    manualSteps,
    zip,
  };
}
