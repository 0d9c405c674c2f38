/**
 * Fault: the device process is killed (SIGKILL: a power cut, no shutdown code runs) at every step
 * of its journal, then started again on the same disk. The device is the product's own process
 * (`device start`), provisioned by the phone (real noble) over an air server; the kill fires the
 * moment the k-th journal record appears on disk (the process may have gone a little further, as
 * after a real power cut), and one more case fires at the commit point (credentials/device.json
 * written; the 1 ms poll nearly always lands before the `committed` record, the window of a Pi that
 * loses power right after `verified`; test/device/crash.test.ts cuts there deterministically).
 * After the restart the device finishes alone: the phone is gone (one attempt, no reconnect). Each
 * case ends provisioned exactly once, with nothing half-written; a failed case prints the device's
 * own log, every process in turn, and what it left on disk (child-device.ts `withDeviceLog`).
 */
import { existsSync, readFileSync } from 'node:fs';
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
import { CredentialStore, DEVICE_MARKER_FILE } from '../../peripheral/storage/credential-store.js';
import { random } from './ble-device.js';
import { startChildDevice, stopAllChildDevices, withDeviceLog } from './child-device.js';
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

/** Where a case kills the device: the moment `reached` holds (polled every 1 ms). */
interface KillPoint {
  readonly id: string;
  readonly label: string;
  reached(d: ChildDevice): boolean;
  /** When set, the device must be killed with fewer journal records than this. */
  readonly unfinishedBelow?: number;
}

/**
 * The moment record k is on disk. The steps up to 'verified' wait for the cloud, so the 1 ms poll
 * always kills before the job is done there; after the last two, local file writes, a busy machine
 * may be further on (into the commit: the commit-point case covers that on purpose).
 */
function journalRecordPoint(k: number, step: string, total: number): KillPoint {
  return {
    id: String(k),
    label: `kill at journal record ${k} (${step}):`,
    reached: (d) => journalLines(d) >= k,
    ...(k <= total - 2 ? { unfinishedBelow: total } : {}),
  };
}

/** Kills `d` at `point`, restarts it, checks the outcome; returns what the phone saw. */
async function killAndRestart(d: ChildDevice, point: KillPoint): Promise<string> {
  const { label } = point;
  const phoneRun = phone(d).then(
    (r) => r.thingName,
    (err: unknown) => (isProvisioningError(err) ? err.code : String(err)),
  );
  await waitFor(() => (point.reached(d) ? true : undefined), 60_000, label, 1);
  await d.kill();
  if (point.unfinishedBelow !== undefined) expect(journalLines(d), label).toBeLessThan(point.unfinishedBelow);
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
  return phoneSaw;
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

  it('SIGKILL as record k appears, for every k, and at the commit point, then restart: finishes alone, provisioned exactly once', async () => {
    expect(steps.length).toBeGreaterThanOrEqual(8);
    const points: KillPoint[] = [
      ...steps.map((step, i) => journalRecordPoint(i + 1, step, steps.length)),
      // Between device.json and the `committed` record: the device boots provisioned and must
      // still finish its commit (peripheral/fleet/commit.ts).
      {
        id: 'c',
        label: 'kill at the commit point (credentials/device.json):',
        reached: (d) => existsSync(join(d.stateDir, 'credentials', DEVICE_MARKER_FILE)),
      },
    ];
    const outcomes: string[] = [];
    const worker = async (): Promise<void> => {
      for (let p = points.shift(); p !== undefined; p = points.shift()) {
        const d = await startChildDevice(cloud, airServer.spec, `pi-k${p.id}`, `SN-KILL-${p.id}`);
        const phoneSaw = await withDeviceLog(d, () => killAndRestart(d, p));
        outcomes.push(`${p.id}:${phoneSaw}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(outcomes).toHaveLength(steps.length + 1);
  }, 300_000);
});
