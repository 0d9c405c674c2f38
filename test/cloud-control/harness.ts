/**
 * A control plane on a free loopback port over a real SQLite registry and CA in a temp dir, with
 * callers of every kind in its credential store: an admin, a phone with temporary credentials
 * allowed only iot:CreateProvisioningClaim on one template, and an expired temporary credential.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { EmulatorCa } from '../../cloud/emulator/ca/index.js';
import type { AwsCredentialRecord } from '../../cloud/emulator/contracts/index.js';
import { startControlPlane } from '../../cloud/emulator/control-plane/index.js';
import type { ControlPlane, ControlPlaneOptions } from '../../cloud/emulator/control-plane/index.js';
import { Registry } from '../../cloud/emulator/registry/index.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const TEMPLATE_NAME = 'TrustedUserProvisioningTemplate';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/IoTFleetProvisioningRole`;
export const DATA_ENDPOINT = 'localhost';

/** The seed's template: SerialNumber and DeviceLocation parameters, the `mything_` prefix. */
export const TEMPLATE_BODY = JSON.stringify({
  Parameters: {
    SerialNumber: { Type: 'String' },
    DeviceLocation: { Type: 'String', Default: 'Seattle' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['', ['mything_', { Ref: 'SerialNumber' }]] },
        AttributePayload: { location: { Ref: 'DeviceLocation' } },
      },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'pubsub' } },
  },
});

export const ADMIN: AwsCredentialRecord = {
  accessKeyId: 'AKIATESTADMIN0000001',
  secretAccessKey: 'test-admin-secret-0000000000000000000000',
  principalArn: `arn:aws:iam::${ACCOUNT}:user/admin`,
  policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
};

export const PHONE: AwsCredentialRecord = {
  accessKeyId: 'ASIATESTPHONE0000001',
  secretAccessKey: 'test-phone-secret-0000000000000000000000',
  sessionToken: 'phone-session-token-0001',
  expiration: new Date(Date.now() + 3600_000),
  principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/PhoneRole/CognitoIdentityCredentials`,
  policies: [
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'iot:CreateProvisioningClaim',
          Resource: `arn:aws:iot:${REGION}:${ACCOUNT}:provisioningtemplate/${TEMPLATE_NAME}`,
        },
      ],
    },
  ],
};

export const EXPIRED: AwsCredentialRecord = {
  ...PHONE,
  accessKeyId: 'ASIATESTEXPIRED00001',
  sessionToken: 'expired-session-token',
  expiration: new Date(Date.now() - 60_000),
};

export interface Harness {
  dir: string;
  registry: Registry;
  ca: EmulatorCa;
  plane: ControlPlane;
  client(
    record?: AwsCredentialRecord,
    overrides?: Partial<{ secretAccessKey: string; accessKeyId: string; sessionToken: string }>,
  ): IoTClient;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<ControlPlaneOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-control-'));
  const registry = Registry.open(join(dir, 'registry.db'), { region: REGION, accountId: ACCOUNT });
  const ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  for (const r of [ADMIN, PHONE, EXPIRED]) registry.credentials.put(r);
  const plane = await startControlPlane({
    registry,
    ca,
    credentials: registry.credentials,
    region: REGION,
    accountId: ACCOUNT,
    dataEndpoint: DATA_ENDPOINT,
    ...options,
  });
  const clients: IoTClient[] = [];
  return {
    dir,
    registry,
    ca,
    plane,
    client(record = ADMIN, overrides = {}) {
      const c = new IoTClient({
        endpoint: plane.url,
        region: REGION,
        maxAttempts: 1,
        credentials: {
          accessKeyId: overrides.accessKeyId ?? record.accessKeyId,
          secretAccessKey: overrides.secretAccessKey ?? record.secretAccessKey,
          ...((overrides.sessionToken ?? record.sessionToken) !== undefined
            ? { sessionToken: overrides.sessionToken ?? record.sessionToken }
            : {}),
        },
      });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.destroy();
      await plane.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
