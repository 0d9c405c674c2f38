/**
 * The operator's step between a factory reset and provisioning the same serial again (the
 * pre-provisioning hook refuses a serial still registered to an ACTIVE certificate): the product's
 * decommission (cloud/setup/decommission.ts) against the emulator, audit log in its data directory.
 */
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { decommission } from '../../cloud/setup/decommission.js';

/** Decommissions `mything_<serial>` when it has certificates attached; otherwise does nothing. */
export async function decommissionSerial(emu: RunningEmulator, serial: string): Promise<void> {
  const thingName = `mything_${serial}`;
  if (!emu.registry.things.get(thingName) || emu.registry.things.listPrincipals(thingName).length === 0) return;
  const iot = new IoTClient({
    region: emu.region,
    endpoint: emu.endpoints.iotControlPlane,
    credentials: { accessKeyId: emu.admin.accessKeyId, secretAccessKey: emu.admin.secretAccessKey },
  });
  try {
    await decommission(iot, {
      thingName,
      operator: 'test-operator',
      reason: 'factory reset between test cases',
      auditLogPath: join(emu.dataDir, 'audit', 'decommission.jsonl'),
      target: 'emulator',
    });
  } finally {
    iot.destroy();
  }
}
