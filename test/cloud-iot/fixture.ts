/**
 * A real emulator IoT data side for tests: CA and SQLite registry in a temp dir, the broker on a
 * free loopback port, the seed's provisioning template and device policy, and claim certificates
 * made the way CreateProvisioningClaim makes them (CA + registry, 5-minute claim).
 */
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { EmulatorCa } from '../../cloud/emulator/ca/index.js';
import { Registry } from '../../cloud/emulator/registry/index.js';
import type { PreProvisioningHook } from '../../cloud/emulator/registry/index.js';
import { startBroker } from '../../cloud/emulator/broker/index.js';
import type { BrokerOptions, RunningBroker } from '../../cloud/emulator/broker/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const TEMPLATE_NAME = 'TrustedUserProvisioningTemplate';
export const DEVICE_POLICY = 'pubsub';
/** Claims live 5 minutes, as CreateProvisioningClaim's do. */
export const CLAIM_LIFETIME_MS = 5 * 60_000;

/** The seed's template: SerialNumber + DeviceLocation, mything_ prefix, the pubsub policy. */
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
        AttributePayload: { version: 'v1', serialNumber: { Ref: 'SerialNumber' }, location: { Ref: 'DeviceLocation' } },
      },
      OverrideSettings: { AttributePayload: 'REPLACE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: DEVICE_POLICY } },
  },
  DeviceConfiguration: { FallbackUrl: 'https://www.example.com/test-site', Location: { Ref: 'DeviceLocation' } },
});

/** The device policy, tightened to the thing's own client id and topics. */
export const DEVICE_POLICY_DOCUMENT = JSON.stringify({
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

export interface Credentials {
  certificateId: string;
  cert: string;
  key: string;
}

export interface IotFixture {
  dir: string;
  ca: EmulatorCa;
  registry: Registry;
  broker: RunningBroker;
  clock: { now: Date };
  newClaim(templateName?: string): Promise<Credentials>;
  connect(creds: Credentials, opts?: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startIotFixture(
  options: { hook?: PreProvisioningHook; broker?: Partial<BrokerOptions> } = {},
): Promise<IotFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cloud-iot-'));
  const clock = { now: new Date() };
  const now = (): Date => clock.now;
  const ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  const registry = Registry.open(join(dir, 'registry.sqlite'), { now });
  registry.policies.create(DEVICE_POLICY, DEVICE_POLICY_DOCUMENT);
  registry.templates.create({
    templateName: TEMPLATE_NAME,
    templateBody: TEMPLATE_BODY,
    enabled: true,
    provisioningRoleArn: 'arn:aws:iam::123456789012:role/IoTProvisioningRole',
    ...(options.hook ? { preProvisioningHook: options.hook } : {}),
  });
  const broker = await startBroker({ registry, ca, port: 0, now, ...options.broker });
  const clients = new Set<MqttClient>();

  return {
    dir,
    ca,
    registry,
    broker,
    clock,
    async newClaim(templateName = TEMPLATE_NAME) {
      const expiresAt = new Date(clock.now.getTime() + CLAIM_LIFETIME_MS);
      const issued = await ca.createKeyPairAndCertificate({
        validity: { notAfter: new Date(Date.now() + 24 * 3600_000) },
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
      return { certificateId: issued.certificateId, cert: issued.certificatePem, key: issued.keyPair.PrivateKey };
    },
    connect(creds, opts = {}) {
      return new Promise((resolve, reject) => {
        const client = mqtt.connect({
          protocol: 'mqtts',
          host: '127.0.0.1',
          port: broker.port,
          ca: ca.caCertPem,
          cert: creds.cert,
          key: creds.key,
          reconnectPeriod: 0,
          connectTimeout: 5000,
          clean: true,
          ...opts,
        });
        clients.add(client);
        client.once('connect', () => resolve(client));
        client.once('error', (err) => {
          client.end(true);
          reject(err);
        });
        client.once('close', () => reject(new Error('connection closed before CONNACK')));
      });
    },
    async close() {
      await Promise.all([...clients].map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
      await broker.close();
      registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A PEM CSR and its private key (PKCS#8 PEM) for an EC P-256 or RSA-2048 key. */
export async function makeCsr(
  alg: 'ec' | 'rsa' = 'ec',
  subject = 'CN=device',
): Promise<{ csrPem: string; keyPem: string }> {
  const params =
    alg === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: params });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrPem: csr.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** Publishes a request and waits for the first message on `${topic}/accepted` or `/rejected`. */
export async function request(
  client: MqttClient,
  topic: string,
  payload: Buffer | string,
): Promise<{ outcome: 'accepted' | 'rejected'; payload: Buffer }> {
  await client.subscribeAsync([`${topic}/accepted`, `${topic}/rejected`], { qos: 1 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply on ${topic}`)), 10_000);
    const onMessage = (t: string, p: Buffer): void => {
      if (t !== `${topic}/accepted` && t !== `${topic}/rejected`) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ outcome: t.endsWith('accepted') ? 'accepted' : 'rejected', payload: p });
    };
    client.on('message', onMessage);
    client.publish(topic, payload, { qos: 1 });
  });
}

/** Resolves when the client's connection closes (the broker dropped it). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve();
    client.once('close', () => resolve());
  });
}
