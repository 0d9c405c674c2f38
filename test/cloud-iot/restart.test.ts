import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { EmulatorCa } from '../../cloud/emulator/ca/index.js';
import { Registry } from '../../cloud/emulator/registry/index.js';
import { startBroker } from '../../cloud/emulator/broker/index.js';
import { DEVICE_POLICY, DEVICE_POLICY_DOCUMENT, makeCsr, request, TEMPLATE_BODY, TEMPLATE_NAME } from './fixture.js';

function connect(port: number, ca: string, cert: string, key: string, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({ protocol: 'mqtts', host: 'localhost', port, ca, cert, key, clientId, reconnectPeriod: 0 });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
}

describe('a provisioned device survives an emulator restart', () => {
  let dir: string;
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('keeps CA, registry and the device certificate across a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloud-iot-restart-'));
    let ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
    let registry = Registry.open(join(dir, 'registry.sqlite'));
    registry.policies.create(DEVICE_POLICY, DEVICE_POLICY_DOCUMENT);
    registry.templates.create({
      templateName: TEMPLATE_NAME,
      templateBody: TEMPLATE_BODY,
      enabled: true,
      provisioningRoleArn: 'arn:aws:iam::123456789012:role/R',
    });
    const claim = await ca.createKeyPairAndCertificate({ validity: { notAfter: new Date(Date.now() + 3600_000) } });
    registry.certificates.insert({
      certificateId: claim.certificateId,
      certificatePem: claim.certificatePem,
      status: 'ACTIVE',
      notBefore: claim.notBefore,
      notAfter: claim.notAfter,
      isClaim: true,
      templateName: TEMPLATE_NAME,
      claimExpiresAt: new Date(Date.now() + 300_000),
    });
    let broker = await startBroker({ registry, ca, port: 0 });

    const c = await connect(broker.port, ca.caCertPem, claim.certificatePem, claim.keyPair.PrivateKey, 'restart-claim');
    const { csrPem, keyPem } = await makeCsr('ec');
    const created = JSON.parse(
      (
        await request(
          c,
          '$aws/certificates/create-from-csr/json',
          JSON.stringify({ certificateSigningRequest: csrPem }),
        )
      ).payload.toString(),
    ) as { certificatePem: string; certificateOwnershipToken: string };
    const reg = await request(
      c,
      `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
      JSON.stringify({
        certificateOwnershipToken: created.certificateOwnershipToken,
        parameters: { SerialNumber: 'restart' },
      }),
    );
    expect(reg.outcome).toBe('accepted');
    c.end(true);
    await broker.close();
    registry.close();

    ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
    registry = Registry.open(join(dir, 'registry.sqlite'));
    broker = await startBroker({ registry, ca, port: 0 });
    const device = await connect(broker.port, ca.caCertPem, created.certificatePem, keyPem, 'mything_restart');
    expect(device.connected).toBe(true);
    expect(registry.things.get('mything_restart')?.attributes.serialNumber).toBe('restart');
    device.end(true);
    await broker.close();
    registry.close();
  });
});
