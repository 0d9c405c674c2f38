/**
 * Power cut at every file-system operation of a provisioning run (crash harness from
 * peripheral/storage), then a restart with a healthy disk: the device must end provisioned exactly
 * once (one thing for its serial number), holding a committed certificate that is ACTIVE and
 * attached to that thing, and every certificate the cloud issued must be accounted for in the
 * journal (issued, or requested-without-answer as an orphan trace).
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionWithClaim } from '../../peripheral/fleet/provision.js';
import type { ProvisionWithClaimOptions } from '../../peripheral/fleet/provision.js';
import { crashingFs, SimulatedCrash } from '../../peripheral/storage/crash-harness.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import type { FsOps } from '../../peripheral/storage/fs-ops.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import { startFleetFixture, TEMPLATE_NAME, verifyTopic } from './fixture.js';
import type { FleetFixture } from './fixture.js';

/** Crash runs in flight at once (the broker serves them side by side). */
const CONCURRENCY = 2;
/**
 * Operations that change what is durably on disk. A crash AT one leaves the state just before it;
 * crashing at the other operations (open/write/fsync of a temp file) leaves the same durable state
 * as crashing at the next of these, and writeFileAtomic's own crash points are covered in
 * peripheral/storage/atomic-file.test.ts.
 */
const DURABLE_STEP = /^(rename|rm) |^write \S+\/journal\.log$/;

let fx: FleetFixture;
beforeAll(async () => {
  fx = await startFleetFixture();
});
afterAll(async () => fx.close());

async function run(
  serial: string,
  fs?: FsOps,
): Promise<{ result?: Awaited<ReturnType<typeof provisionWithClaim>>; error?: unknown; journal: ProvisioningJournal }> {
  const dir = join(fx.dir, 'crash', serial);
  const store = new CredentialStore({ dir: join(dir, 'credentials'), ...(fs ? { fs } : {}) });
  const journal = new ProvisioningJournal({
    path: join(dir, 'journal.log'),
    now: () => fx.clock.now,
    ...(fs ? { fs } : {}),
  });
  const options: ProvisionWithClaimOptions = {
    endpoint: { host: 'localhost', port: fx.broker.port },
    caPem: fx.ca.caCertPem,
    claim: await fx.newClaim(),
    templateName: TEMPLATE_NAME,
    parameters: { DeviceLocation: 'Lyon' },
    serialNumber: serial,
    clientId: `claim-${serial}`,
    verify: { topic: verifyTopic },
    clock: fx.deviceClock,
    store,
    journal,
  };
  try {
    return { result: await provisionWithClaim(options), journal };
  } catch (error) {
    return { error, journal };
  }
}

/** Certificates issued for one device: their CSR subject is CN=<serial> (runs overlap, so no before/after diff). */
const certificatesFor = (serial: string): string[] =>
  fx.registry.certificates
    .list()
    .filter((c) => !c.isClaim && new X509Certificate(c.certificatePem).subject === `CN=${serial}`)
    .map((c) => c.certificateId);

describe('power cut at every storage operation, then restart', () => {
  it('ends provisioned exactly once, with no issued certificate lost without a trace', async () => {
    const counter = crashingFs(Number.POSITIVE_INFINITY);
    const clean = await run('count', counter);
    expect(clean.result?.thingName).toBe('mything_count');
    const crashPoints = counter.log.flatMap((op, i) => (DURABLE_STEP.test(op) ? [i + 1] : []));
    // 8 journal records, 3 pending files, 3 committed files, 3 pending removals.
    expect(crashPoints.length).toBe(17);
    const total = crashPoints.length;
    const outcomes: string[] = [];
    let abandoned = 0;
    const worker = async (): Promise<void> => {
      for (let n = crashPoints.shift(); n !== undefined; n = crashPoints.shift()) {
        const serial = `crash-${n}`;
        const fs = crashingFs(n);
        const crashed = await run(serial, fs);
        expect(fs.crashed, `crash point ${n} (${String(crashed.error)})`).toBe(true);
        expect(crashed.error, `crash point ${n}`).toBeDefined();
        expect((crashed.error as { cause?: unknown }).cause ?? crashed.error).toBeInstanceOf(SimulatedCrash);

        const resumed = await run(serial);
        expect(resumed.error, `restart after crash point ${n}`).toBeUndefined();
        const thingName = `mything_${serial}`;
        expect(resumed.result?.thingName).toBe(thingName);
        const things = fx.registry.things.list().filter((t) => t.attributes.serialNumber === serial);
        expect(things, `crash point ${n}`).toHaveLength(1);
        const committed = resumed.result?.certificateId as string;
        expect(fx.registry.certificates.get(committed)?.status).toBe('ACTIVE');
        expect(fx.registry.things.listPrincipals(thingName).some((arn) => arn.endsWith(`/${committed}`))).toBe(true);

        const issued = certificatesFor(serial);
        expect(issued.length, `crash point ${n}`).toBeGreaterThan(0);
        const { records } = await resumed.journal.load();
        const journaled = new Set(records.flatMap((r) => (r.step === 'certificate-issued' ? [r.certificateId] : [])));
        const untraced = issued.filter((id) => !journaled.has(id));
        const requests = records.filter((r) => r.step === 'certificate-requested').length;
        // A certificate not in the journal must match a request that got no recorded answer.
        expect(untraced.length, `crash point ${n}`).toBeLessThanOrEqual(requests - journaled.size);
        if (records.some((r) => r.step === 'certificate-abandoned')) abandoned++;
        outcomes.push(`${n}:${resumed.result?.startedFrom}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(outcomes).toHaveLength(total);
    // Every resume plan is exercised somewhere along the way.
    const plans = new Set(outcomes.map((o) => o.split(':')[1]));
    for (const plan of ['issue', 'register', 'verify', 'commit', 'already-provisioned']) expect(plans).toContain(plan);
    // A crash right after RegisterThing answered (before it was journaled) takes the ambiguous path:
    // the spent token is detected and the device re-registers onto the same thing with a new certificate.
    expect(abandoned).toBeGreaterThan(0);
  }, 120_000);
});
