/**
 * The AWS-side documents of trusted-user fleet provisioning, after the seed document
 * (/work/shared/seeds/000_…: the "pubsub" policy and TrustedUserProvisioningTemplate), tightened:
 * a device may connect only as its own thing and use only its own topics. Here, not in setup/,
 * because setup writes them to an account and the emulator runs the hook under the same role policy.
 */

export const DEVICE_POLICY_NAME = 'pubsub';
export const TEMPLATE_NAME = 'TrustedUserProvisioningTemplate';
export const THING_NAME_PREFIX = 'mything_';
export const PROVISIONING_ROLE_NAME = 'IoTFleetProvisioningRole';
export const AUTHENTICATED_ROLE_NAME = 'TrustedUserProvisioningRole';
/** The pre-provisioning hook's Lambda function (cloud/hook/pre-provisioning.ts). */
export const HOOK_FUNCTION_NAME = 'TrustedUserPreProvisioningHook';
/** The hook's execution role (real accounts). */
export const HOOK_ROLE_NAME = 'TrustedUserPreProvisioningHookRole';
/** The hook payload version AWS IoT documents. */
export const HOOK_PAYLOAD_VERSION = '2020-04-01';

/** The ARN the template's preProvisioningHook names; the emulator runs the product's hook for it. */
export function hookFunctionArn(a: AccountRef, functionName = HOOK_FUNCTION_NAME): string {
  return `arn:${a.partition ?? 'aws'}:lambda:${a.region}:${a.accountId}:function:${functionName}`;
}

/** The topics a provisioned device owns: `things/<thingName>/…` (publish, receive, subscribe). */
export function deviceTopicPrefix(thingName: string): string {
  return `things/${thingName}/`;
}

export interface AccountRef {
  partition?: string;
  region: string;
  accountId: string;
}

function iotArn(a: AccountRef, resource: string): string {
  return `arn:${a.partition ?? 'aws'}:iot:${a.region}:${a.accountId}:${resource}`;
}

/**
 * The device ("pubsub") policy. `${iot:Connection.Thing.ThingName}` is the thing attached to the
 * connecting certificate, and only resolves when the client id equals the thing name: so the device
 * connects with its thing name and reaches only its own topics (and its own shadow). The Connect
 * statement also requires `iot:Connection.Thing.IsAttached`, as AWS's own example policies do
 * (AWS IoT developer guide, "Connect and publish policy examples" / "Thing policy variables"): a
 * certificate not attached to the thing named by the client id may not connect as it.
 */
export function devicePolicyDocument(a: AccountRef): Record<string, unknown> {
  const thing = '${iot:Connection.Thing.ThingName}';
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ConnectAsOwnThing',
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: iotArn(a, `client/${thing}`),
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Sid: 'PublishAndReceiveOwnTopics',
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: [iotArn(a, `topic/things/${thing}/*`), iotArn(a, `topic/$aws/things/${thing}/shadow/*`)],
      },
      {
        Sid: 'SubscribeOwnTopics',
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: [iotArn(a, `topicfilter/things/${thing}/*`), iotArn(a, `topicfilter/$aws/things/${thing}/shadow/*`)],
      },
    ],
  };
}

/** The fleet provisioning template: thing `mything_<SerialNumber>`, certificate activated, pubsub attached. */
export function provisioningTemplateBody(policyName = DEVICE_POLICY_NAME): Record<string, unknown> {
  return {
    Parameters: {
      SerialNumber: { Type: 'String' },
      DeviceLocation: { Type: 'String', Default: 'unknown' },
      'AWS::IoT::Certificate::Id': { Type: 'String' },
    },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: {
          ThingName: { 'Fn::Join': ['', [THING_NAME_PREFIX, { Ref: 'SerialNumber' }]] },
          AttributePayload: { SerialNumber: { Ref: 'SerialNumber' }, DeviceLocation: { Ref: 'DeviceLocation' } },
        },
        OverrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
      },
      policy: {
        Type: 'AWS::IoT::Policy',
        Properties: { PolicyName: policyName },
      },
    },
  };
}

/** What the identity pool's authenticated role may do: claim certificates for this one template only. */
export function authenticatedRolePermissions(a: AccountRef, templateName = TEMPLATE_NAME): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['iot:CreateProvisioningClaim'],
        Resource: [iotArn(a, `provisioningtemplate/${templateName}`)],
      },
    ],
  };
}

/** Who may assume the authenticated role: Cognito, for authenticated identities of this pool only. */
export function authenticatedRoleTrustPolicy(identityPoolId: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': identityPoolId },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    ],
  };
}

/**
 * What the hook's execution role may do: read the serial's thing, its certificates' status, and
 * reserve the serial (CreateThing/UpdateThing on `mything_*` only); plus its own CloudWatch logs.
 */
export function hookRolePolicy(a: AccountRef, functionName = HOOK_FUNCTION_NAME): Record<string, unknown> {
  const p = a.partition ?? 'aws';
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CheckAndReserveSerial',
        Effect: 'Allow',
        Action: ['iot:DescribeThing', 'iot:ListThingPrincipals', 'iot:CreateThing', 'iot:UpdateThing'],
        Resource: iotArn(a, `thing/${THING_NAME_PREFIX}*`),
      },
      { Sid: 'CertificateStatus', Effect: 'Allow', Action: 'iot:DescribeCertificate', Resource: iotArn(a, 'cert/*') },
      {
        Sid: 'OwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:${p}:logs:${a.region}:${a.accountId}:log-group:/aws/lambda/${functionName}:*`,
      },
    ],
  };
}

/** Who may assume the hook's execution role: Lambda. */
export function hookRoleTrustPolicy(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
}

/** The provisioning role AWS IoT assumes to create things and attach policies while provisioning. */
export function provisioningRoleTrustPolicy(): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'iot.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
}

/** JSON with object keys sorted, to compare documents regardless of key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
