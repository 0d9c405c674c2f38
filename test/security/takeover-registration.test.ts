/**
 * Issue #14: any logged-in user could take over a provisioned device by registering their own
 * certificate with the victim's SerialNumber (AWS reuses the existing thing). With the product's
 * pre-provisioning hook (cloud/hook), set up by `npx tp-setup`, such a RegisterThing is refused
 * with ACCESS_DENIED, concurrent registrations of one serial leave exactly one ACTIVE certificate,
 * and a reset device registers again only after an operator's audited decommission.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decommission } from '../../cloud/setup/decommission.js';
import {
  claimConnection,
  connect,
  createCertificateFromCsr,
  registerThing,
  roundTrip,
  startTestCloud,
  thingCertificates,
} from './takeover-fixture.js';
import type { Issued, TestCloud } from './takeover-fixture.js';

let cloud: TestCloud;
let auditDir: string;
const clients: MqttClient[] = [];
const track = (c: MqttClient): MqttClient => (clients.push(c), c);

beforeAll(async () => {
  cloud = await startTestCloud();
  auditDir = await mkdtemp(join(tmpdir(), 'takeover-audit-'));
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await cloud?.close();
  await rm(auditDir, { recursive: true, force: true });
});

/** A device (its own claim connection) registered with `serial`; returns its permanent certificate. */
async function provision(serial: string): Promise<Issued> {
  const { client } = await claimConnection(cloud, `claim-${serial}-${clients.length}`);
  track(client);
  const cert = await createCertificateFromCsr(client);
  const r = await registerThing(cloud, client, cert.certificateOwnershipToken, serial);
  expect(r, `provisioning ${serial}`).toMatchObject({ outcome: 'accepted', body: { thingName: `mything_${serial}` } });
  return cert;
}

describe('takeover by serial (issue #14)', () => {
  it("refuses a second user's registration of a provisioned serial; the victim stays connected and usable", async () => {
    const victimCert = await provision('SN-VICTIM');
    const thingName = 'mything_SN-VICTIM';
    const victim = track(await connect(cloud, victimCert, thingName));
    let victimDropped = false;
    victim.on('close', () => {
      victimDropped = true;
    });

    const attacker = await claimConnection(cloud, 'attacker-claim');
    track(attacker.client);
    const stolen = await createCertificateFromCsr(attacker.client);
    const r = await registerThing(cloud, attacker.client, stolen.certificateOwnershipToken, 'SN-VICTIM');
    expect(r).toMatchObject({ outcome: 'rejected', body: { statusCode: 403, errorCode: 'ACCESS_DENIED' } });

    // Nothing of the attacker's is attached or active; the victim's certificate is the only one.
    expect(thingCertificates(cloud, thingName)).toEqual([
      { certificateId: victimCert.certificateId, status: 'ACTIVE' },
    ]);
    expect(cloud.emu.registry.certificates.get(stolen.certificateId)?.status).toBe('PENDING_ACTIVATION');
    expect(cloud.emu.registry.things.get(thingName)?.attributes).toMatchObject({
      SerialNumber: 'SN-VICTIM',
      DeviceLocation: 'Kitchen',
    });

    // The attacker's certificate cannot connect as the victim, so the victim is not kicked off.
    await expect(connect(cloud, stolen, thingName)).rejects.toThrow();
    expect(await roundTrip(victim, `things/${thingName}/status`, 'still mine')).toBe('still mine');
    expect(victimDropped).toBe(false);
  }, 60_000);

  it('refuses serials outside [A-Za-z0-9_-]{1,64} in the hook', async () => {
    const { client } = await claimConnection(cloud, 'bad-serial-claim');
    track(client);
    for (const serial of ['', 'a'.repeat(65), 'SN 1', 'SN/1', '-leading-dash']) {
      const cert = await createCertificateFromCsr(client);
      const r = await registerThing(cloud, client, cert.certificateOwnershipToken, serial);
      expect(r, JSON.stringify(serial)).toMatchObject({ outcome: 'rejected', body: { errorCode: 'ACCESS_DENIED' } });
    }
  }, 60_000);

  it('concurrent RegisterThing for one serial from two claims: exactly one wins (one thing, one ACTIVE certificate)', async () => {
    const a = await claimConnection(cloud, 'race-a');
    const b = await claimConnection(cloud, 'race-b');
    track(a.client);
    track(b.client);
    const [ca, cb] = await Promise.all([createCertificateFromCsr(a.client), createCertificateFromCsr(b.client)]);
    const results = await Promise.all([
      registerThing(cloud, a.client, ca.certificateOwnershipToken, 'SN-RACE'),
      registerThing(cloud, b.client, cb.certificateOwnershipToken, 'SN-RACE'),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['accepted', 'rejected']);
    expect(results.find((r) => r.outcome === 'rejected')?.body).toMatchObject({ errorCode: 'ACCESS_DENIED' });
    const attached = thingCertificates(cloud, 'mything_SN-RACE');
    expect(attached).toHaveLength(1);
    expect(attached[0]?.status).toBe('ACTIVE');
    const statuses = [ca, cb].map((c) => cloud.emu.registry.certificates.get(c.certificateId)?.status).sort();
    expect(statuses).toEqual(['ACTIVE', 'PENDING_ACTIVATION']);
  }, 60_000);

  it("after an operator's audited decommission, the reset device registers again; the old certificate is dead", async () => {
    const oldCert = await provision('SN-RESET');
    const thingName = 'mything_SN-RESET';
    const auditLogPath = join(auditDir, 'decommission.jsonl');
    const record = await decommission(cloud.iot, {
      thingName,
      operator: 'ops@example.com',
      reason: 'factory reset, ticket 42',
      auditLogPath,
      target: 'emulator',
    });
    expect(record).toMatchObject({
      phase: 'done',
      operator: 'ops@example.com',
      certificates: [{ certificateId: oldCert.certificateId, previousStatus: 'ACTIVE' }],
    });
    expect(cloud.emu.registry.certificates.get(oldCert.certificateId)?.status).toBe('INACTIVE');
    expect(thingCertificates(cloud, thingName)).toEqual([]);
    expect(cloud.emu.registry.things.get(thingName)?.attributes.provisionedBy).toMatch(
      /^decommissioned\/\d+\/ops@example\.com$/,
    );
    const lines = (await readFile(auditLogPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.phase)).toEqual(['started', 'done']);
    expect(lines[1]).toMatchObject({ thingName, operator: 'ops@example.com', reason: 'factory reset, ticket 42' });

    const newCert = await provision('SN-RESET');
    expect(thingCertificates(cloud, thingName)).toEqual([{ certificateId: newCert.certificateId, status: 'ACTIVE' }]);
    expect(cloud.emu.registry.things.get(thingName)?.attributes.provisionedBy).toMatch(
      /^claim\/[0-9a-f]{64}\/[0-9a-f]{64}\/\d+$/,
    );
    await expect(connect(cloud, oldCert, thingName)).rejects.toThrow();
    const device = track(await connect(cloud, newCert, thingName));
    expect(await roundTrip(device, `things/${thingName}/status`, 'back')).toBe('back');
  }, 60_000);

  it('decommission refuses a missing operator or reason and an unknown thing, and changes nothing', async () => {
    const cert = await provision('SN-KEEP');
    const auditLogPath = join(auditDir, 'refused.jsonl');
    const base = { thingName: 'mything_SN-KEEP', operator: 'ops', reason: 'r', auditLogPath, target: 'emulator' };
    await expect(decommission(cloud.iot, { ...base, operator: '' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(decommission(cloud.iot, { ...base, reason: '  ' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(decommission(cloud.iot, { ...base, thingName: 'mything_nobody' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(cloud.emu.registry.certificates.get(cert.certificateId)?.status).toBe('ACTIVE');
    await expect(readFile(auditLogPath, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);
});
