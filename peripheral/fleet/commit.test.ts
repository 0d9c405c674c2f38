import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashingFs } from '../storage/crash-harness.js';
import { CredentialStore } from '../storage/credential-store.js';
import type { CommittedCredentials, PendingCredentials } from '../storage/credential-store.js';
import { ProvisioningJournal } from '../storage/journal.js';
import { finishCommit } from './commit.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'finish-commit-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const PENDING: PendingCredentials = {
  certificateId: 'c'.repeat(64),
  certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  privateKeyPem: '-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n',
  certificateOwnershipToken: 'token-1',
  issuedAt: new Date('2026-01-01T00:00:00Z'),
};
const THING = 'mything_SN-1';
const AT = new Date('2026-01-01T00:01:00Z');
const COMMIT = {
  certificateId: PENDING.certificateId,
  certificatePem: PENDING.certificatePem,
  privateKeyPem: PENDING.privateKeyPem,
  thingName: THING,
  endpoint: { host: 'localhost', port: 8883 },
};

const credentials = (): CredentialStore => new CredentialStore({ dir: join(dir, 'credentials') });
const journal = (): ProvisioningJournal => new ProvisioningJournal({ path: join(dir, 'journal.log') });

/** The disk of a device that lost power right after `verified`, once device.json was in place. */
async function cutAfterCommitPoint(): Promise<CommittedCredentials> {
  // Count commit's operations once, on a store of its own, to find the first removal after the
  // commit point (device.json durable, pending.json not yet removed).
  const probe = crashingFs(Number.POSITIVE_INFINITY);
  await new CredentialStore({ dir: join(dir, 'probe'), fs: probe }).commit(COMMIT, AT);
  const cutAt = probe.log.indexOf(`rm ${join(dir, 'probe', 'pending.json')}`) + 1;
  expect(cutAt).toBeGreaterThan(0);
  await credentials().savePending(PENDING);
  await journal().append({ step: 'verified', certificateId: PENDING.certificateId, thingName: THING });
  const cut = new CredentialStore({ dir: join(dir, 'credentials'), fs: crashingFs(cutAt) });
  await expect(cut.commit(COMMIT, AT)).rejects.toMatchObject({
    code: 'STORAGE_FAILED',
    cause: { name: 'SimulatedCrash' },
  });
  expect(await readdir(join(dir, 'credentials'))).toContain('pending.json');
  return (await credentials().loadCommitted())!;
}

describe('finishCommit', () => {
  it('after a cut past the commit point: removes the pending files and journals `committed`, once', async () => {
    const committed = await cutAfterCommitPoint();
    expect(await finishCommit(credentials(), journal(), committed)).toBe(true);
    expect((await readdir(join(dir, 'credentials'))).sort()).toEqual([
      'device.cert.pem',
      'device.json',
      'device.key.pem',
    ]);
    const { records } = await journal().load();
    expect(records.map((r) => r.step)).toEqual(['verified', 'committed']);
    expect(records.at(-1)).toMatchObject({ certificateId: PENDING.certificateId, thingName: THING });
    // A second boot finds nothing to do.
    expect(await finishCommit(credentials(), journal(), committed)).toBe(false);
    expect((await journal().load()).records).toHaveLength(2);
  });

  it('after a commit that was not cut: changes nothing', async () => {
    await credentials().savePending(PENDING);
    await credentials().commit(COMMIT, AT);
    await journal().append({ step: 'committed', certificateId: PENDING.certificateId, thingName: THING });
    const committed = (await credentials().loadCommitted())!;
    expect(await finishCommit(credentials(), journal(), committed)).toBe(false);
    expect((await journal().load()).records.map((r) => r.step)).toEqual(['committed']);
  });
});
