/**
 * For the takeover tests: the whole emulator set up as `npx tp-setup` does (so the product's
 * pre-provisioning hook is on the template), claims from the real control plane, and MQTT clients
 * doing what a device — or an attacker holding a claim — does on the fleet-provisioning API.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { startTestCloud } from '../device/cloud.js';
import type { TestCloud } from '../device/cloud.js';
import { makeCsr, request } from '../cloud-iot/fixture.js';

export { startTestCloud };
export type { TestCloud };

export interface Pem {
  cert: string;
  key: string;
}

export interface Issued extends Pem {
  certificateId: string;
  certificateOwnershipToken: string;
}

export type Registration = { outcome: 'accepted' | 'rejected'; body: Record<string, unknown> };

export function connect(cloud: TestCloud, creds: Pem, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({
      protocol: 'mqtts',
      host: cloud.emu.endpoints.mqttHost,
      port: cloud.emu.endpoints.mqttPort,
      ca: cloud.emu.caPem,
      cert: creds.cert,
      key: creds.key,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clean: true,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/**
 * A claim as the phone gets it (or `reuse`d), connected with a claim client id. Replies are matched
 * by topic only, so concurrent requests need one connection each.
 */
export async function claimConnection(
  cloud: TestCloud,
  clientId: string,
  reuse?: Pem,
): Promise<{ client: MqttClient; claim: Pem }> {
  const claim: Pem = reuse ?? (await cloud.claim().then((c) => ({ cert: c.certificatePem, key: c.privateKeyPem })));
  const client = await connect(cloud, claim, clientId);
  return { client, claim };
}

export async function createCertificateFromCsr(claim: MqttClient): Promise<Issued> {
  const { csrPem, keyPem } = await makeCsr('ec');
  const r = await request(
    claim,
    '$aws/certificates/create-from-csr/json',
    JSON.stringify({ certificateSigningRequest: csrPem }),
  );
  if (r.outcome !== 'accepted') throw new Error(`CreateCertificateFromCsr rejected: ${r.payload.toString()}`);
  const body = JSON.parse(r.payload.toString()) as {
    certificateId: string;
    certificatePem: string;
    certificateOwnershipToken: string;
  };
  return {
    certificateId: body.certificateId,
    certificateOwnershipToken: body.certificateOwnershipToken,
    cert: body.certificatePem,
    key: keyPem,
  };
}

export async function registerThing(
  cloud: TestCloud,
  claim: MqttClient,
  token: string,
  serial: string,
): Promise<Registration> {
  const topic = `$aws/provisioning-templates/${cloud.emu.provisioningTemplateName}/provision/json`;
  const r = await request(
    claim,
    topic,
    JSON.stringify({
      certificateOwnershipToken: token,
      parameters: { SerialNumber: serial, DeviceLocation: 'Kitchen' },
    }),
  );
  return { outcome: r.outcome, body: JSON.parse(r.payload.toString()) as Record<string, unknown> };
}

/** Certificates attached to the thing, with their status. */
export function thingCertificates(
  cloud: TestCloud,
  thingName: string,
): Array<{ certificateId: string; status: string }> {
  return cloud.emu.registry.things.listPrincipals(thingName).map((arn) => {
    const id = arn.slice(arn.lastIndexOf('/') + 1);
    return { certificateId: id, status: cloud.emu.registry.certificates.get(id)?.status ?? 'MISSING' };
  });
}

/** Subscribes to `topic` and publishes on it; resolves with what came back (a round trip). */
export async function roundTrip(client: MqttClient, topic: string, text: string): Promise<string> {
  await client.subscribeAsync(topic, { qos: 1 });
  const got = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing received on ${topic}`)), 10_000);
    client.on('message', (t, p) => {
      if (t !== topic) return;
      clearTimeout(timer);
      resolve(p.toString());
    });
  });
  await client.publishAsync(topic, text, { qos: 1 });
  return got;
}
