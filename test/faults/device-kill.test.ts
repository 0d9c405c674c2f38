/**
 * Fault: the device process is killed (SIGKILL: a power cut, no shutdown code runs) at every step
 * of its journal, then started again on the same disk. The device is the product's own process
 * (`device start`), provisioned by the phone (real noble) over an air server; the kill fires the
 * moment the k-th journal record appears on disk (the process may have gone a little further, as
 * after a real power cut). After the restart the device finishes alone: the phone is gone (one
 * attempt, no reconnect). Each case ends provisioned exactly once, with nothing half-written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNoble, startAir } from '../../ble/index.js';
import type { AirServer, Noble } from '../../ble/index.js';
import { provisionDevice } from '../../central/engine/index.js';
import { findDevice, NobleDeviceLink, poweredOn } from '../../ble/central/index.js';
import type { ProvisionResult } from '../../central/engine/index.js';
import { isProvisioningError } from '../../protocol/errors.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import type { JournalRecord } from '../../peripheral/storage/journal.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { random } from './ble-device.js';
import { startChildDevice, stopAllChildDevices } from './child-device.js';
import type { ChildDevice } from './child-device.js';
import { expectNothingHalfWritten, expectProvisionedOnce, NET, startFaultCloud, waitFor } from './world.js';
import type { FaultCloud } from './world.js';

/** Kill cases in flight at once (each is two device process starts; CI has 2 cores). */
const CONCURRENCY = 2;
/** How long a restarted device may take to finish the job alone, ms. */
const RESUME_TIMEOUT_MS = 60_000;

let cloud: FaultCloud;
let airServer: AirServer;
let noble: Noble;

beforeAll(async () => {
  cloud = await startFaultCloud('device-kill');
  airServer = await startAir({ tcp: { port: 0 } });
  noble = loadNoble(airServer.spec, { mtu: 247 });
  await poweredOn(noble);
}, 60_000);

afterAll(async () => {
  await stopAllChildDevices();
  await airServer?.close();
  await cloud?.close();
});

const journalPath = (d: ChildDevice): string => join(d.stateDir, 'journal.log');

function journalLines(d: ChildDevice): number {
  try {
    return readFileSync(journalPath(d), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0).length;
  } catch {
    return 0;
  }
}

/** The phone provisions `d` once, without reconnecting: when the device dies, the phone is gone. */
function phone(d: ChildDevice): Promise<ProvisionResult> {
  return provisionDevice(
    { deviceId: d.deviceId, setupCode: d.setupCode, wifi: NET, claim: () => cloud.claim() },
    {
      connect: async () => NobleDeviceLink.connect(await findDevice(noble, d.deviceId)),
      random,
      maxAttempts: 1,
    },
  );
}

async function finished(d: ChildDevice): Promise<JournalRecord[]> {
  return waitFor(
    async () => {
      const committed = await new CredentialStore({ dir: join(d.stateDir, 'credentials') })
        .loadCommitted()
        .catch(() => undefined);
      if (!committed) return undefined;
      const { records } = await new ProvisioningJournal({ path: journalPath(d) })
        .load()
        .catch(() => ({ records: [] as JournalRecord[] }));
      return records.at(-1)?.step === 'committed' ? records : undefined;
    },
    RESUME_TIMEOUT_MS,
    `${d.deviceId} to finish`,
    100,
  );
}

describe('device process killed at every journal step', () => {
  let steps: string[] = [];

  it('a clean run: the journal steps of one provisioning', async () => {
    const d = await startChildDevice(cloud, airServer.spec, 'pi-k0', 'SN-KILL-0');
    const result = await phone(d);
    expect(result.thingName).toBe('mything_SN-KILL-0');
    const records = await finished(d);
    await d.stop();
    steps = records.map((r) => r.step);
    expect(steps[0]).toBe('job-accepted');
    expect(steps.at(-1)).toBe('committed');
    expect(steps).toEqual(
      expect.arrayContaining([
        'wifi-joined',
        'certificate-requested',
        'certificate-issued',
        'register-requested',
        'thing-registered',
        'verified',
      ]),
    );
    await expectProvisionedOnce(cloud.emu, d.stateDir, d.serial);
    await expectNothingHalfWritten(d.stateDir);
  }, 90_000);

  it('SIGKILL as record k appears, for every k, then restart: finishes alone, provisioned exactly once', async () => {
    expect(steps.length).toBeGreaterThanOrEqual(8);
    const ks = steps.map((_, i) => i + 1);
    const outcomes: string[] = [];
    const worker = async (): Promise<void> => {
      for (let k = ks.shift(); k !== undefined; k = ks.shift()) {
        const label = `kill at journal record ${k} (${steps[k - 1]}):`;
        const d = await startChildDevice(cloud, airServer.spec, `pi-k${k}`, `SN-KILL-${k}`);
        const phoneRun = phone(d).then(
          (r) => r.thingName,
          (err: unknown) => (isProvisioningError(err) ? err.code : String(err)),
        );
        // Poll the device's journal on disk; kill the moment the k-th record is there.
        await waitFor(() => (journalLines(d) >= k ? true : undefined), 60_000, `${label} record ${k}`, 1);
        await d.kill();
        // Killed before the job was done (the steps up to 'verified' wait for the cloud, so the
        // 1 ms poll always wins there; the last two are local file writes a busy machine may finish).
        const atKill = journalLines(d);
        if (k <= steps.length - 2) expect(atKill, label).toBeLessThan(steps.length);
        const phoneSaw = await phoneRun;
        // The phone either saw the link go (it does not come back) or had already been told "provisioned".
        expect(['LINK_LOST', `mything_${d.serial}`], label).toContain(phoneSaw);
        await d.restart();
        const records = await finished(d);
        await d.stop();
        expect(
          records.filter((r) => r.step === 'committed'),
          label,
        ).toHaveLength(1);
        expect(
          records.filter((r) => r.step === 'job-accepted'),
          label,
        ).toHaveLength(1);
        await expectProvisionedOnce(cloud.emu, d.stateDir, d.serial, undefined, label);
        await expectNothingHalfWritten(d.stateDir, label);
        outcomes.push(`${k}:${phoneSaw}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(outcomes).toHaveLength(steps.length);
  }, 300_000);
});
