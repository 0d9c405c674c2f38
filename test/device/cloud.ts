/**
 * The cloud emulator for device tests: started in-process on free loopback ports in a temp dir,
 * set up with the product's policy and template (cloud/setup), and a `claim()` that asks the real
 * control plane for a CreateProvisioningClaim, as the phone does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateProvisioningClaimCommand, IoTClient } from '@aws-sdk/client-iot';
import { startEmulator } from '../../cloud/emulator/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { DEVICE_POLICY_NAME, PROVISIONING_ROLE_NAME } from '../../cloud/deploy/documents.js';
import { runSetup } from '../../cloud/setup/setup.js';
import type { ClaimMessage } from '../../protocol/messages.js';

export interface TestCloud {
  emu: RunningEmulator;
  iot: IoTClient;
  /** A fresh claim as the phone would send it (no CA: the device uses its configured trust store). */
  claim(overrides?: Partial<ClaimMessage>): Promise<ClaimMessage>;
  close(): Promise<void>;
}

export async function startTestCloud(): Promise<TestCloud> {
  const dir = await mkdtemp(join(tmpdir(), 'device-cloud-'));
  const emu = await startEmulator({ dataDir: dir });
  const iot = new IoTClient({
    region: emu.region,
    endpoint: emu.endpoints.iotControlPlane,
    credentials: { accessKeyId: emu.admin.accessKeyId, secretAccessKey: emu.admin.secretAccessKey },
  });
  await runSetup(iot, {
    region: emu.region,
    accountId: emu.accountId,
    policyName: DEVICE_POLICY_NAME,
    templateName: emu.provisioningTemplateName,
    provisioningRoleArn: `arn:aws:iam::${emu.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
  });
  return {
    emu,
    iot,
    async claim(overrides = {}) {
      const out = await iot.send(new CreateProvisioningClaimCommand({ templateName: emu.provisioningTemplateName }));
      return {
        type: 'claim',
        certificatePem: out.certificatePem!,
        privateKeyPem: out.keyPair!.PrivateKey!,
        host: emu.endpoints.mqttHost,
        port: emu.endpoints.mqttPort,
        templateName: emu.provisioningTemplateName,
        parameters: { DeviceLocation: 'Kitchen' },
        expiresAt: Math.floor(out.expiration!.getTime() / 1000),
        ...overrides,
      };
    },
    async close() {
      iot.destroy();
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
