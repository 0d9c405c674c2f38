import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashingFs } from './crash-harness.js';
import { ProvisioningJournal } from './journal.js';
import type { JournalEntry } from './journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'journal-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const now = (): Date => new Date('2026-01-01T00:00:00Z');
const STEPS: JournalEntry[] = [
  { step: 'job-accepted', jobId: 'j1' },
  { step: 'wifi-joined', ssid: 'home' },
  { step: 'cloud-connected', certificate: 'claim' },
  { step: 'certificate-issued', certificateId: 'c1' },
  { step: 'thing-registered', certificateId: 'c1', thingName: 't1' },
];

describe('ProvisioningJournal', () => {
  it('appends records with sequence numbers and reads them back from a new instance (file 0600)', async () => {
    const path = join(dir, 'j', 'journal.log');
    const journal = new ProvisioningJournal({ path, now });
    for (const e of STEPS) await journal.append(e);
    const { records, tornTail } = await new ProvisioningJournal({ path, now }).load();
    expect(tornTail).toBe(false);
    expect(records.map((r) => [r.seq, r.step])).toEqual(STEPS.map((e, i) => [i + 1, e.step]));
    expect(records[4]).toMatchObject({ thingName: 't1', at: '2026-01-01T00:00:00.000Z' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('drops a torn last record, cleans it away, and appends after it on a clean line', async () => {
    const path = join(dir, 'journal.log');
    const journal = new ProvisioningJournal({ path, now });
    await journal.append(STEPS[0] as JournalEntry);
    await journal.append(STEPS[1] as JournalEntry);
    await appendFile(path, '{"step":"cloud-conn');
    const reopened = new ProvisioningJournal({ path, now });
    const loaded = await reopened.load();
    expect(loaded.tornTail).toBe(true);
    expect(loaded.records.map((r) => r.step)).toEqual(['job-accepted', 'wifi-joined']);
    await reopened.append(STEPS[2] as JournalEntry);
    const again = await new ProvisioningJournal({ path, now }).load();
    expect(again).toMatchObject({ tornTail: false });
    expect(again.records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('treats a complete last line with a bad checksum as torn, but corruption earlier as STORAGE_FAILED', async () => {
    const path = join(dir, 'journal.log');
    const journal = new ProvisioningJournal({ path, now });
    for (const e of STEPS.slice(0, 3)) await journal.append(e);
    const lines = (await readFile(path, 'utf8')).split('\n');
    await writeFile(path, [lines[0], lines[1], (lines[2] as string).replace('claim', 'clain'), ''].join('\n'));
    expect((await new ProvisioningJournal({ path, now }).load()).records).toHaveLength(2);
    await writeFile(path, [(lines[0] as string).replace('j1', 'j2'), lines[1], ''].join('\n'));
    await expect(new ProvisioningJournal({ path, now }).load()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });

  it('a power cut at any operation keeps every record appended before it, and the journal stays loadable', async () => {
    const counter = crashingFs(Number.POSITIVE_INFINITY);
    const probe = new ProvisioningJournal({ path: join(dir, 'count.log'), now, fs: counter });
    for (const e of STEPS) await probe.append(e);
    for (let n = 1; n <= counter.operations; n++) {
      const path = join(dir, `run-${n}.log`);
      const journal = new ProvisioningJournal({ path, now, fs: crashingFs(n) });
      let completed = 0;
      for (const e of STEPS) {
        const ok = await journal.append(e).then(
          () => true,
          (err: { code: string }) => expect(err.code).toBe('STORAGE_FAILED'),
        );
        if (ok !== true) break;
        completed++;
      }
      const { records } = await new ProvisioningJournal({ path, now }).load();
      // Completed appends are durable; the interrupted one may or may not have landed whole.
      expect(records.length === completed || records.length === completed + 1).toBe(true);
      expect(records.map((r) => r.step)).toEqual(STEPS.slice(0, records.length).map((e) => e.step));
    }
  });
});
