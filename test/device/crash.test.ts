/**
 * Power cuts at every journal step (and at each commit point of the job and credential files),
 * with the storage crash harness: the first run stops dead at operation N; a second agent boots on
 * the same state directory, resumes (or, when the job never became durable, the phone sends it
 * again), and the device ends provisioned exactly once with the certificate it kept.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashingFs } from '../../peripheral/storage/crash-harness.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import type { WifiMessage } from '../../protocol/messages.js';
import { startTestCloud } from './cloud.js';
import type { TestCloud } from './cloud.js';
import { makeDevice } from './harness.js';
import { recordingFs } from './recording-fs.js';
import { SimWifi } from './sim-wifi.js';

const NET = { ssid: 'home', passphrase: 'correct horse battery' };
const WIFI: WifiMessage = { type: 'wifi', ssid: new TextEncoder().encode(NET.ssid), passphrase: NET.passphrase };

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
}, 60_000);
afterAll(async () => {
  await cloud?.close();
});

async function submitAndRun(dev: ReturnType<typeof makeDevice>): Promise<void> {
  const s = dev.agent.openSession('test');
  s.submitWifi(WIFI);
  s.submitClaim(await cloud.claim());
  await s.command('commit');
  await dev.agent.settled();
  s.close();
}

/** The crash points: every journal append (before it), and the commit point of each file. */
async function crashPoints(): Promise<Array<{ at: number; name: string }>> {
  const dir = await mkdtemp(join(tmpdir(), 'device-crash-count-'));
  try {
    const names: string[] = [];
    const dev = makeDevice({
      stateDir: dir,
      wifi: new SimWifi([NET]),
      caPem: cloud.emu.caPem,
      fs: recordingFs(names),
      serial: 'SN-COUNT',
    });
    await dev.agent.start();
    await submitAndRun(dev);
    expect(dev.agent.state).toBe('provisioned');
    return names
      .map((name, i) => ({ at: i + 1, name: name.replace(dir, '') }))
      .filter(
        ({ name }) =>
          name === 'open /journal.log' ||
          /^rename \/(job\.json|credentials\/(pending|device)\.json)$/.test(name) ||
          name === 'rm /credentials/pending.json',
      );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('power cut at every journal step', () => {
  it('ends provisioned exactly once, with the certificate the device kept', async () => {
    const points = await crashPoints();
    expect(points.length).toBeGreaterThanOrEqual(12);
    const boots = { resumedAlone: 0, phoneAgain: 0, provisioned: 0 };
    for (const { at, name } of points) {
      const serial = `SN-CUT-${at}`;
      const thingName = `mything_${serial}`;
      const dir = await mkdtemp(join(tmpdir(), 'device-crash-'));
      const certsBefore = new Set(cloud.emu.registry.certificates.list().map((c) => c.certificateId));
      try {
        const wifi = new SimWifi([NET]);
        const fs = crashingFs(at);
        const first = makeDevice({ stateDir: dir, wifi, caPem: cloud.emu.caPem, fs, serial });
        await first.agent.start();
        await submitAndRun(first);
        expect(fs.crashed, `crash at #${at} ${name}`).toBe(true);

        // Reboot on the same disk.
        const second = makeDevice({ stateDir: dir, wifi, caPem: cloud.emu.caPem, serial });
        const bootState = await second.agent.start();
        await second.agent.settled();
        if (bootState === 'provisioned') boots.provisioned++;
        else if (bootState === 'wifiConnecting') boots.resumedAlone++;
        if (second.agent.state !== 'provisioned') {
          boots.phoneAgain++;
          await submitAndRun(second);
        }
        const status = second.agent.status();
        expect(status, `crash at #${at} ${name}`).toMatchObject({ state: 'provisioned', result: { thingName } });

        const registry = cloud.emu.registry;
        const things = registry.things.list().filter((t) => t.attributes['SerialNumber'] === serial);
        expect(
          things.map((t) => t.thingName),
          `crash at #${at} ${name}`,
        ).toEqual([thingName]);
        const committed = status.result!.certificateId;
        expect(registry.certificates.get(committed)?.status).toBe('ACTIVE');
        const principals = registry.things.listPrincipals(thingName);
        expect(principals).toContain(registry.arn('cert', committed));
        // The commit finished, even when the cut fell between its commit point (device.json) and
        // its journal record: the journal ends `committed` for the committed certificate, once, and
        // no pending key or temp file is left beside the device's credentials.
        const { records } = await new ProvisioningJournal({ path: join(dir, 'journal.log') }).load();
        expect(
          records.filter((r) => r.step === 'committed').map((r) => r.certificateId),
          `crash at #${at} ${name}: committed records`,
        ).toEqual([committed]);
        expect(records.at(-1)?.step, `crash at #${at} ${name}: last journal step`).toBe('committed');
        expect(
          (await readdir(join(dir, 'credentials'))).filter((f) => !f.startsWith('device.')),
          `crash at #${at} ${name}: files beside the committed credentials`,
        ).toEqual([]);
        // Any other certificate of this run is not in use, or was given up with a trace in the journal.
        const abandoned = new Set(
          records.flatMap((r) => (r.step === 'certificate-abandoned' ? [r.certificateId] : [])),
        );
        const others = registry.certificates
          .list()
          .filter((c) => !certsBefore.has(c.certificateId) && !c.isClaim && c.certificateId !== committed);
        for (const c of others) {
          expect(
            c.status === 'PENDING_ACTIVATION' || abandoned.has(c.certificateId),
            `crash at #${at} ${name}: certificate ${c.certificateId} ${c.status}`,
          ).toBe(true);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    // Every path was taken: boot already provisioned, resume without the phone, phone sends again.
    expect(boots.provisioned).toBeGreaterThan(0);
    expect(boots.resumedAlone).toBeGreaterThan(0);
    expect(boots.phoneAgain).toBeGreaterThan(0);
  }, 120_000);
});
