/** The cloud as `npx tp-setup` leaves it, on an emulator: the device policy and the provisioning template. */
import { IoTClient } from '@aws-sdk/client-iot';
import { DEVICE_POLICY_NAME, PROVISIONING_ROLE_NAME } from '../cloud/deploy/documents.js';
import type { RunningEmulator } from '../cloud/emulator/index.js';
import { runSetup } from '../cloud/setup/setup.js';

/** Runs the product's setup against the emulator with its admin credentials (the demo and the e2e bench). */
export async function setUpCloud(emulator: RunningEmulator): Promise<void> {
  const admin = new IoTClient({
    region: emulator.region,
    endpoint: emulator.endpoints.iotControlPlane,
    credentials: { accessKeyId: emulator.admin.accessKeyId, secretAccessKey: emulator.admin.secretAccessKey },
  });
  try {
    await runSetup(admin, {
      region: emulator.region,
      accountId: emulator.accountId,
      policyName: DEVICE_POLICY_NAME,
      templateName: emulator.provisioningTemplateName,
      provisioningRoleArn: `arn:aws:iam::${emulator.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
    });
  } finally {
    admin.destroy();
  }
}
