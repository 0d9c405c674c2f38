/**
 * `npx tp-setup [options]`: prepares an account for trusted-user fleet provisioning —
 * the device policy, the provisioning template — and prints what the identity pool and its
 * authenticated role need. Against the running emulator by default (reads cloud.json), against a
 * real account with `--real` (the default AWS credential chain).
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import '../node-notice.js';
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IoTClient } from '@aws-sdk/client-iot';
import {
  CliUsageError,
  parseCommandLine,
  reportUsageError,
  isProvisioningError,
  ProvisioningError,
} from '../../protocol/index.js';
import type { CliOutput } from '../../protocol/index.js';
import { POLICY_CHOICES } from './seed-policy.js';
import type { PolicyChoice } from './seed-policy.js';
import { readAdminCredentials, readCloudJson } from '../emulator/config/index.js';
import {
  AUTHENTICATED_ROLE_NAME,
  authenticatedRolePermissions,
  authenticatedRoleTrustPolicy,
  DEVICE_POLICY_NAME,
  HOOK_FUNCTION_NAME,
  HOOK_ROLE_NAME,
  PROVISIONING_ROLE_NAME,
  provisioningRoleTrustPolicy,
  TEMPLATE_NAME,
} from '../deploy/index.js';
// The AWS SDK clients and the modules that send their commands (decommission, lambda-deploy with
// esbuild, setup) are imported when a command runs: `--help` and usage errors answer without them.
import type { HookDeployOptions, HookDeployResult } from './lambda-deploy.js';
import type { SetupResult } from './setup.js';

export const DEFAULT_CLOUD_JSON = '.data/cloud/cloud.json';
/** The decommission audit log, unless --audit-log names another. */
export const DEFAULT_AUDIT_LOG = '.data/audit/decommission.jsonl';

const USAGE = `usage: npx tp-setup [options]
       npx tp-setup decommission --thing NAME --operator WHO --reason TEXT [--audit-log FILE] [options]

Against the emulator (default): reads ${DEFAULT_CLOUD_JSON} written by \`npx tp-cloud\`.
Against a real account: --real (credentials from the default AWS chain: env, profile, SSO, …).

options:
  --cloud-json FILE              emulator's cloud.json (default ${DEFAULT_CLOUD_JSON})
  --real                         use a real AWS account instead of the emulator
  --endpoint-url URL             AWS IoT control-plane endpoint override
  --region R                     region (real: default $AWS_REGION)
  --account-id ID                account id (real: default taken from --provisioning-role-arn)
  --provisioning-role-arn ARN    role AWS IoT assumes while provisioning
                                 (default arn:aws:iam::ACCOUNT:role/service-role/${PROVISIONING_ROLE_NAME})
  --identity-pool-id ID          shown in the printed trust policy
  --policy-name NAME             device policy (default ${DEVICE_POLICY_NAME})
  --policy least-privilege|seed  its document: least-privilege (default: client id = thing name, the
                                 thing's own topics) or the seed's own (client id test*, test/topic*),
                                 with which AWS's unmodified pubsub sample runs as in the seed
  --template-name NAME           provisioning template (default ${TEMPLATE_NAME})
  --hook-role-arn ARN            --real: the hook's execution role, as is (no IAM calls)
  --json                         print one JSON object
  -h, --help

--real also deploys the pre-provisioning hook (cloud/hook) as the Lambda function
${HOOK_FUNCTION_NAME} (role ${HOOK_ROLE_NAME}, invoke permission for AWS IoT on the template); a
step your credentials may not do is printed as the exact command to run instead.

decommission: lets a reset device register its serial again (the pre-provisioning hook refuses a
serial whose thing has an ACTIVE certificate). Deactivates and detaches the thing's certificates,
marks the thing, and appends who/when/why to the audit log (default ${DEFAULT_AUDIT_LOG}).
  --thing NAME                   e.g. mything_SN-1234
  --operator WHO                 your operator id (A-Z a-z 0-9 _ . @ -)
  --reason TEXT                  why (e.g. "device factory-reset, ticket 42")
  --audit-log FILE               append-only JSON-lines log

exit codes: 0 ok, 1 failure, 2 usage`;

const PROGRAM = { name: 'tp-setup', help: 'npx tp-setup --help' };
const OUT: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
/** Flags of one command only: given to the other, they are refused rather than ignored. */
const DECOMMISSION_ONLY = ['thing', 'operator', 'reason', 'audit-log'];
const SETUP_ONLY = ['policy-name', 'policy', 'template-name', 'hook-role-arn', 'identity-pool-id'];

function fail(field: string, problem: string): never {
  throw new ProvisioningError('CONFIG_INVALID', { detail: `${field}: ${problem}` });
}

function policyChoice(value: string | undefined): PolicyChoice {
  if (value === undefined) return 'least-privilege';
  if (!(POLICY_CHOICES as readonly string[]).includes(value))
    throw new CliUsageError(`--policy must be one of ${POLICY_CHOICES.join(', ')}`);
  return value as PolicyChoice;
}

function parseSetupArgs(argv: readonly string[]) {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    tokens: true,
    options: {
      thing: { type: 'string' },
      operator: { type: 'string' },
      reason: { type: 'string' },
      'audit-log': { type: 'string' },
      'hook-role-arn': { type: 'string' },
      'cloud-json': { type: 'string' },
      real: { type: 'boolean' },
      'endpoint-url': { type: 'string' },
      region: { type: 'string' },
      'account-id': { type: 'string' },
      'provisioning-role-arn': { type: 'string' },
      'identity-pool-id': { type: 'string' },
      'policy-name': { type: 'string' },
      policy: { type: 'string' },
      'template-name': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (command !== undefined && command !== 'decommission')
    throw new CliUsageError(`unknown command "${command}" (only decommission)`);
  if (positionals.length > 1) throw new CliUsageError(`unexpected argument "${positionals[1]}"`);
  const notHere = command === 'decommission' ? SETUP_ONLY : DECOMMISSION_ONLY;
  for (const t of tokens) {
    if (t.kind === 'option' && notHere.includes(t.name))
      throw new CliUsageError(`--${t.name} is not an option of ${command ?? 'setup'}`);
  }
  if (command === 'decommission') {
    for (const flag of ['thing', 'operator', 'reason'] as const)
      if (values[flag] === undefined) throw new CliUsageError(`decommission needs --${flag}`);
  }
  const policy = policyChoice(values.policy);
  if (values.real && (values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION) === undefined)
    throw new CliUsageError('--real needs --region (or $AWS_REGION)');
  if (
    values.real &&
    values['account-id'] === undefined &&
    !/^arn:aws[\w-]*:iam::\d{12}:/.test(values['provisioning-role-arn'] ?? '')
  ) {
    throw new CliUsageError('--real needs --account-id (or --provisioning-role-arn)');
  }
  return { command, values, policy };
}

type SetupArgs = ReturnType<typeof parseSetupArgs>;
type SetupValues = SetupArgs['values'];

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseSetupArgs(argv), OUT);
  if (!parsed.ok) return parsed.exit;
  const { command, values, policy } = parsed.value;
  const conn = values.real ? await connectReal(values) : await connectEmulator(values);
  if (command === 'decommission') return runDecommission(conn, values);
  const done = await runAccountSetup(conn, values, policy);
  const roleNeeds = roleNeedsOf(conn, done);
  if (values.json) {
    const hookSummary = done.hook && {
      functionArn: done.hook.functionArn,
      role: done.hook.role,
      function: done.hook.function,
      permission: done.hook.permission,
      manualSteps: done.hook.manualSteps,
    };
    console.log(
      JSON.stringify(
        {
          target: conn.target,
          ...done.result,
          ...(hookSummary ? { preProvisioningHook: hookSummary } : {}),
          ...roleNeeds,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  printSetup(conn.target, done);
  if (!values.real) {
    // The emulator checks no IAM role: the role documents are for a real account (--real, or --json).
    console.log('\nThe emulator needs no IAM roles; `--real` prints the ones a real account needs.');
    return 0;
  }
  printRoleNeeds(roleNeeds, conn.identityPoolId);
  return 0;
}

/** The account setup talks to, and how to reach it. */
interface Connection {
  region: string;
  accountId: string;
  identityPoolId: string | undefined;
  iot: IoTClient;
  /** Names the account or emulator in messages. */
  target: string;
}

/** `--real`: the default AWS credential chain, region and account from the flags or the environment. */
async function connectReal(values: SetupValues): Promise<Connection> {
  const region =
    values.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    fail('--region', 'is required (or set AWS_REGION)');
  const accountId =
    values['account-id'] ??
    /^arn:aws[\w-]*:iam::(\d{12}):/.exec(values['provisioning-role-arn'] ?? '')?.[1] ??
    fail('--account-id', 'is required (or give --provisioning-role-arn)');
  const { IoTClient } = await import('@aws-sdk/client-iot');
  return {
    region,
    accountId,
    identityPoolId: values['identity-pool-id'],
    iot: new IoTClient({ region, ...(values['endpoint-url'] ? { endpoint: values['endpoint-url'] } : {}) }),
    target: `AWS account ${accountId} (${region})`,
  };
}

/** The emulator of cloud.json, with its admin key. */
async function connectEmulator(values: SetupValues): Promise<Connection> {
  const cloud = readCloudJson(values['cloud-json'] ?? DEFAULT_CLOUD_JSON);
  if (!cloud.admin) fail('admin.credentialsPath', 'is missing from cloud.json (use --real for a real account)');
  const admin = readAdminCredentials(cloud.admin.credentialsPath);
  const region = values.region ?? cloud.region;
  const endpoint = values['endpoint-url'] ?? cloud.iot.controlPlaneEndpoint;
  const { IoTClient } = await import('@aws-sdk/client-iot');
  return {
    region,
    accountId: values['account-id'] ?? cloud.accountId,
    identityPoolId: values['identity-pool-id'] ?? cloud.cognito.identityPoolId,
    iot: new IoTClient({
      region,
      endpoint,
      credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    }),
    target: `emulator at ${endpoint}`,
  };
}

async function runDecommission(conn: Connection, values: SetupValues): Promise<number> {
  const auditLogPath = values['audit-log'] ?? DEFAULT_AUDIT_LOG;
  const { decommission } = await import('./decommission.js');
  try {
    const record = await decommission(conn.iot, {
      thingName: values.thing!,
      operator: values.operator!,
      reason: values.reason!,
      auditLogPath,
      target: conn.target,
    });
    if (values.json) {
      console.log(JSON.stringify(record, null, 2));
      return 0;
    }
    console.log(`Decommissioned ${record.thingName} in ${conn.target} by ${record.operator}:`);
    for (const c of record.certificates ?? [])
      console.log(
        `  certificate ${c.certificateId}: ${c.previousStatus} -> ${c.previousStatus === 'ACTIVE' ? 'INACTIVE' : c.previousStatus}, detached`,
      );
    console.log(`  recorded in ${auditLogPath}; the serial may now be provisioned again.`);
    return 0;
  } finally {
    conn.iot.destroy();
  }
}

interface SetupDone {
  result: SetupResult;
  hook: HookDeployResult | undefined;
  provisioningRoleArn: string;
  templateName: string;
}

/** The device policy and the template (and with --real the hook's Lambda first, the template names it). */
async function runAccountSetup(conn: Connection, values: SetupValues, policy: PolicyChoice): Promise<SetupDone> {
  const account = { region: conn.region, accountId: conn.accountId };
  const provisioningRoleArn =
    values['provisioning-role-arn'] ?? `arn:aws:iam::${conn.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`;
  const templateName = values['template-name'] ?? TEMPLATE_NAME;
  let hook: HookDeployResult | undefined;
  // Loaded before the try: a module that fails to load is no unreachable cloud.
  const { runSetup } = await import('./setup.js');
  const hookDeploy = values.real ? await loadHookDeploy() : undefined;
  try {
    if (hookDeploy)
      hook = await deployHookWith(hookDeploy, values['endpoint-url'], {
        ...account,
        templateName,
        zipPath: HOOK_ZIP_PATH,
        ...(values['hook-role-arn'] ? { roleArn: values['hook-role-arn'] } : {}),
      });
    const result = await runSetup(conn.iot, {
      ...account,
      policyName: values['policy-name'] ?? DEVICE_POLICY_NAME,
      templateName,
      provisioningRoleArn,
      policy,
      ...(hook ? { preProvisioningHookArn: hook.functionArn } : {}),
    });
    return { result, hook, provisioningRoleArn, templateName };
  } catch (err) {
    throw unreachable(err, conn.target, values.real === true);
  } finally {
    conn.iot.destroy();
  }
}

/** What the provisioning role and the identity pool's authenticated role need (a real account creates them). */
function roleNeedsOf(conn: Connection, done: SetupDone) {
  return {
    provisioningRole: {
      arn: done.provisioningRoleArn,
      trustPolicy: provisioningRoleTrustPolicy(),
      managedPolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSIoTThingsRegistration',
    },
    identityPoolAuthenticatedRole: {
      name: AUTHENTICATED_ROLE_NAME,
      trustPolicy: authenticatedRoleTrustPolicy(conn.identityPoolId ?? '<identity pool id>'),
      permissionsPolicy: authenticatedRolePermissions(
        { region: conn.region, accountId: conn.accountId },
        done.templateName,
      ),
    },
  };
}

/** The human summary: what setup did to the policy, the template and the hook. */
function printSetup(target: string, { result, hook }: SetupDone): void {
  console.log(`Setup of ${target}:`);
  console.log(`  device policy         ${result.policy.name}: ${result.policy.action}`);
  console.log(
    `  provisioning template ${result.template.name}: ${result.template.action}${result.template.arn ? ` (${result.template.arn})` : ''}`,
  );
  if (!hook) return;
  console.log(
    `  pre-provisioning hook ${hook.functionArn}: function ${hook.function.action}, role ${hook.role.arn} ${hook.role.action}, invoke permission ${hook.permission.action}`,
  );
  if (hook.manualSteps.length > 0) {
    console.log(
      `\nYour credentials may not do these steps; run them as an administrator (the package is ${HOOK_ZIP_PATH}), then run setup again:`,
    );
    for (const step of hook.manualSteps) console.log(`  ${step}`);
  }
}

function printRoleNeeds(roleNeeds: ReturnType<typeof roleNeedsOf>, identityPoolId: string | undefined): void {
  console.log(`\nThe provisioning role ${roleNeeds.provisioningRole.arn} must exist:`);
  console.log('  trust policy:');
  console.log(indent(JSON.stringify(roleNeeds.provisioningRole.trustPolicy, null, 2), 4));
  console.log(`  attach the managed policy ${roleNeeds.provisioningRole.managedPolicyArn}`);
  console.log(
    `\nThe identity pool${identityPoolId ? ` ${identityPoolId}` : ''} needs the OIDC provider (issuer + client id) as an` +
      ' authentication provider, and an authenticated role',
  );
  console.log(`(e.g. ${AUTHENTICATED_ROLE_NAME}) with`);
  console.log('  trust policy:');
  console.log(indent(JSON.stringify(roleNeeds.identityPoolAuthenticatedRole.trustPolicy, null, 2), 4));
  console.log('  permissions policy:');
  console.log(indent(JSON.stringify(roleNeeds.identityPoolAuthenticatedRole.permissionsPolicy, null, 2), 4));
}

/** Where `--real` writes the hook's deployment package (for printed manual steps). */
const HOOK_ZIP_PATH = '.data/hook/pre-provisioning-hook.zip';

/** What --real needs to deploy the hook: the Lambda and IAM clients, and the packager (esbuild). */
async function loadHookDeploy() {
  const [{ LambdaClient }, { IAMClient }, { deployHook }] = await Promise.all([
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-iam'),
    import('./lambda-deploy.js'),
  ]);
  return { LambdaClient, IAMClient, deployHook };
}

async function deployHookWith(
  { LambdaClient, IAMClient, deployHook }: Awaited<ReturnType<typeof loadHookDeploy>>,
  endpoint: string | undefined,
  options: HookDeployOptions,
): Promise<HookDeployResult> {
  const config = { region: options.region, ...(endpoint ? { endpoint } : {}) };
  const lambda = new LambdaClient(config);
  const iam = new IAMClient(config);
  try {
    const out = await deployHook({ lambda, iam }, options);
    if (out.manualSteps.length > 0) {
      mkdirSync(dirname(HOOK_ZIP_PATH), { recursive: true });
      writeFileSync(HOOK_ZIP_PATH, out.zip);
    }
    return out;
  } finally {
    lambda.destroy();
    iam.destroy();
  }
}

/** A request that got no HTTP answer (refused, DNS, timeout) is CLOUD_UNREACHABLE naming the target and the fix. */
function unreachable(err: unknown, target: string, real: boolean): unknown {
  if (
    isProvisioningError(err) ||
    (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined
  )
    return err;
  const net =
    (err as { code?: string }).code ??
    (err as { cause?: { code?: string } }).cause?.code ??
    (err as { name?: string }).name ??
    'no answer';
  const fix = real
    ? 'check the region, --endpoint-url and the network'
    : 'start it with `npx tp-cloud` (or give --cloud-json of a running one)';
  return new ProvisioningError('CLOUD_UNREACHABLE', { detail: `${target}: ${net}; ${fix}`, cause: err });
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = reportUsageError(PROGRAM, err, OUT);
    if (usage !== undefined) process.exit(usage);
    if (isProvisioningError(err)) {
      console.error(`error [${err.code}]: ${err.message}`);
    } else {
      const e = err as { name?: string; message?: string };
      console.error(`error: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}`);
    }
    process.exit(1);
  },
);
