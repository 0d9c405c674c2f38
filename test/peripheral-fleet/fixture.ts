/**
 * The cloud emulator's real IoT data side (CA, SQLite registry, mutual-TLS MQTT broker) for the
 * device's fleet-provisioning routine: the seed's template (SerialNumber + DeviceLocation), a
 * second template whose pre-provisioning hook refuses serial numbers starting with "deny", a device
 * policy that lets a thing connect as itself and publish/subscribe under `device/{clientId}/`, and
 * claims made as CreateProvisioningClaim makes them (5 minutes).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorCa } from '../../cloud/emulator/ca/index.js';
import { startBroker } from '../../cloud/emulator/broker/index.js';
import type { RunningBroker } from '../../cloud/emulator/broker/index.js';
import { Registry } from '../../cloud/emulator/registry/index.js';
import type { Claim } from '../../peripheral/fleet/claim.js';
import type { Clock } from '../../protocol/index.js';

export const TEMPLATE_NAME = 'DeviceFleetTemplate';
export const HOOKED_TEMPLATE_NAME = 'DeviceFleetTemplateWithHook';
export const CLAIM_LIFETIME_MS = 5 * 60_000;
export const verifyTopic = (thingName: string): string => `device/${thingName}/provisioned`;

const TEMPLATE_BODY = JSON.stringify({
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
        AttributePayload: { serialNumber: { Ref: 'SerialNumber' }, location: { Ref: 'DeviceLocation' } },
      },
      OverrideSettings: { AttributePayload: 'REPLACE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'device' } },
  },
  DeviceConfiguration: { Location: { Ref: 'DeviceLocation' } },
});

const DEVICE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: 'arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}',
    },
    {
      Effect: 'Allow',
      Action: ['iot:Publish', 'iot:Receive'],
      Resource: 'arn:aws:iot:us-east-1:123456789012:topic/device/${iot:ClientId}/*',
    },
    {
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: 'arn:aws:iot:us-east-1:123456789012:topicfilter/device/${iot:ClientId}/*',
    },
  ],
});

// Serials starting with 'deny' are refused; with 'slow', the first call answers after 1.5 s.
const HOOK_SOURCE = `const seen = new Set();
export default async function (input) {
  const serial = String(input.parameters.SerialNumber ?? '');
  if (serial.startsWith('slow') && !seen.has(serial)) {
    seen.add(serial);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  return { allowProvisioning: !serial.startsWith('deny') };
}
`;

export interface FleetFixture {
  dir: string;
  ca: EmulatorCa;
  registry: Registry;
  broker: RunningBroker;
  /** The emulator's clock and the device's; tests move `now`. */
  clock: { now: Date };
  /** The device's clock: reads {@link clock}'s `now`. */
  deviceClock: Clock;
  newClaim(templateName?: string): Promise<Claim & { certificateId: string }>;
  /** Starts another broker on the same CA and registry (e.g. on a port that was unreachable). */
  startBrokerOn(port: number): Promise<RunningBroker>;
  close(): Promise<void>;
}

export async function startFleetFixture(): Promise<FleetFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'peripheral-fleet-'));
  const clock = { now: new Date() };
  const now = (): Date => clock.now;
  const ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  const registry = Registry.open(join(dir, 'registry.sqlite'), { now });
  registry.policies.create('device', DEVICE_POLICY);
  const hookPath = join(dir, 'hook.mjs');
  await writeFile(hookPath, HOOK_SOURCE);
  for (const [templateName, hook] of [
    [TEMPLATE_NAME, undefined],
    [HOOKED_TEMPLATE_NAME, hookPath],
  ] as const) {
    registry.templates.create({
      templateName,
      templateBody: TEMPLATE_BODY,
      enabled: true,
      provisioningRoleArn: 'arn:aws:iam::123456789012:role/IoTProvisioningRole',
      ...(hook ? { preProvisioningHook: { targetArn: hook } } : {}),
    });
  }
  const brokers: RunningBroker[] = [];
  const broker = await startBroker({ registry, ca, port: 0, now });
  brokers.push(broker);
  return {
    dir,
    ca,
    registry,
    broker,
    clock,
    deviceClock: () => clock.now.getTime(),
    async newClaim(templateName = TEMPLATE_NAME) {
      const expiresAt = new Date(clock.now.getTime() + CLAIM_LIFETIME_MS);
      // Valid from the fixture's clock, not the wall clock: the device checks against the fixture's
      // clock, which stands still, so a run longer than the CA's 60 s back-dating would see the claim
      // as not yet valid.
      const issued = await ca.createKeyPairAndCertificate({
        validity: {
          notBefore: new Date(clock.now.getTime() - 60_000),
          notAfter: new Date(clock.now.getTime() + 24 * 3600_000),
        },
      });
      registry.certificates.insert({
        certificateId: issued.certificateId,
        certificatePem: issued.certificatePem,
        status: 'ACTIVE',
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        isClaim: true,
        templateName,
        claimExpiresAt: expiresAt,
      });
      return {
        certificateId: issued.certificateId,
        certificatePem: issued.certificatePem,
        privateKeyPem: issued.keyPair.PrivateKey,
        expiresAt,
      };
    },
    async startBrokerOn(port) {
      const b = await startBroker({ registry, ca, port, now });
      brokers.push(b);
      return b;
    },
    async close() {
      await Promise.all(brokers.map((b) => b.close()));
      registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
