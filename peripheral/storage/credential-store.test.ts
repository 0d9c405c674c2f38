import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashingFs } from './crash-harness.js';
import { CredentialStore } from './credential-store.js';
import type { PendingCredentials } from './credential-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'creds-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const PENDING: PendingCredentials = {
  certificateId: 'a'.repeat(64),
  certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  privateKeyPem: '-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n',
  certificateOwnershipToken: 'token-1',
  issuedAt: new Date('2026-01-01T00:00:00Z'),
};
const COMMIT = {
  certificateId: PENDING.certificateId,
  certificatePem: PENDING.certificatePem,
  privateKeyPem: PENDING.privateKeyPem,
  thingName: 'mything_1',
  endpoint: { host: 'localhost', port: 8883 },
};
const AT = new Date('2026-01-01T00:01:00Z');

describe('CredentialStore', () => {
  it('saves pending, commits, and keeps the directory 0700 and files 0600', async () => {
    const store = new CredentialStore({ dir: join(dir, 'creds') });
    await store.savePending(PENDING);
    expect(await store.loadPending()).toEqual(PENDING);
    expect(await store.loadCommitted()).toBeUndefined();
    await store.commit(COMMIT, AT);
    expect(await store.loadCommitted()).toEqual({ ...COMMIT, committedAt: AT });
    expect(await store.loadPending()).toBeUndefined();
    expect((await stat(store.dir)).mode & 0o777).toBe(0o700);
    for (const f of await readdir(store.dir)) expect((await stat(join(store.dir, f))).mode & 0o777).toBe(0o600);
    expect((await readdir(store.dir)).sort()).toEqual(['device.cert.pem', 'device.json', 'device.key.pem']);
  });

  it('ignores a pending set whose files do not match its marker (torn or tampered)', async () => {
    const store = new CredentialStore({ dir: join(dir, 'creds') });
    await store.savePending(PENDING);
    await writeFile(join(store.dir, 'pending.key.pem'), 'half a key');
    expect(await store.loadPending()).toBeUndefined();
  });

  it('a power cut at any operation of savePending + commit leaves none, pending, or committed: never a half state', async () => {
    const counter = crashingFs(Number.POSITIVE_INFINITY);
    const probe = new CredentialStore({ dir: join(dir, 'count'), fs: counter });
    await probe.savePending(PENDING);
    await probe.commit(COMMIT, AT);
    const seen = new Set<string>();
    for (let n = 1; n <= counter.operations; n++) {
      const path = join(dir, `run-${n}`);
      const crashing = new CredentialStore({ dir: path, fs: crashingFs(n) });
      await crashing
        .savePending(PENDING)
        .then(() => crashing.commit(COMMIT, AT))
        .catch((e: unknown) => expect((e as { code: string }).code).toBe('STORAGE_FAILED'));
      const after = new CredentialStore({ dir: path });
      await after.cleanup();
      const pending = await after.loadPending();
      const committed = await after.loadCommitted();
      if (committed) expect(committed).toEqual({ ...COMMIT, committedAt: AT });
      if (pending) expect(pending).toEqual(PENDING);
      // Once committed, a leftover pending set may remain only as an identical copy.
      seen.add(committed ? 'committed' : pending ? 'pending' : 'none');
      const files = await readdir(path).catch(() => []);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
    expect([...seen].sort()).toEqual(['committed', 'none', 'pending']);
  });

  it('reset forgets everything', async () => {
    const store = new CredentialStore({ dir: join(dir, 'creds') });
    await store.commit(COMMIT, AT);
    await store.reset();
    expect(await store.loadCommitted()).toBeUndefined();
  });
});
