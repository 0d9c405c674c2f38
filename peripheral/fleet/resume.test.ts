import { describe, expect, it } from 'vitest';
import type { CommittedCredentials, PendingCredentials } from '../storage/credential-store.js';
import type { JournalEntry, JournalRecord } from '../storage/journal.js';
import { OWNERSHIP_TOKEN_LIFETIME_MS, OWNERSHIP_TOKEN_MARGIN_MS, planResume } from './resume.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const PENDING: PendingCredentials = {
  certificateId: 'c1',
  certificatePem: 'CERT',
  privateKeyPem: 'KEY',
  certificateOwnershipToken: 'tok',
  issuedAt: T0,
};
const COMMITTED: CommittedCredentials = {
  certificateId: 'c1',
  certificatePem: 'CERT',
  privateKeyPem: 'KEY',
  thingName: 't',
  endpoint: { host: 'h', port: 1 },
  committedAt: T0,
};
const journal = (...entries: JournalEntry[]): JournalRecord[] =>
  entries.map((e, i): JournalRecord => ({ ...e, seq: i + 1, at: T0.toISOString() }));
const soon = new Date(T0.getTime() + 1000);

describe('planResume', () => {
  it('committed credentials win over everything', () => {
    expect(
      planResume({
        records: journal({ step: 'certificate-requested', mode: 'csr' }),
        pending: PENDING,
        committed: COMMITTED,
        now: soon,
      }),
    ).toMatchObject({ kind: 'already-provisioned' });
  });

  it('nothing on disk: issue; a request without an issued answer is reported as an orphan', () => {
    expect(planResume({ records: [], pending: undefined, committed: undefined, now: soon })).toEqual({
      kind: 'issue',
      orphanedRequest: false,
    });
    expect(
      planResume({
        records: journal({ step: 'certificate-requested', mode: 'csr' }),
        pending: undefined,
        committed: undefined,
        now: soon,
      }),
    ).toEqual({ kind: 'issue', orphanedRequest: true });
    const rejected = journal(
      { step: 'certificate-requested', mode: 'csr' },
      { step: 'failed', code: 'CERTIFICATE_REJECTED' },
    );
    expect(planResume({ records: rejected, pending: undefined, committed: undefined, now: soon })).toEqual({
      kind: 'issue',
      orphanedRequest: false,
    });
  });

  it('a saved certificate is reused for RegisterThing; ambiguous when a RegisterThing was sent', () => {
    const issued = journal({ step: 'certificate-issued', certificateId: 'c1' });
    expect(planResume({ records: issued, pending: PENDING, committed: undefined, now: soon })).toEqual({
      kind: 'register',
      pending: PENDING,
      ambiguous: false,
    });
    const sent = journal(
      { step: 'certificate-issued', certificateId: 'c1' },
      { step: 'register-requested', certificateId: 'c1' },
    );
    expect(planResume({ records: sent, pending: PENDING, committed: undefined, now: soon })).toEqual({
      kind: 'register',
      pending: PENDING,
      ambiguous: true,
    });
    // The pending marker is the authority even when the journal record never landed.
    expect(planResume({ records: [], pending: PENDING, committed: undefined, now: soon })).toMatchObject({
      kind: 'register',
      ambiguous: false,
    });
  });

  it('an ownership token too old to finish RegisterThing abandons the certificate explicitly', () => {
    const late = new Date(T0.getTime() + OWNERSHIP_TOKEN_LIFETIME_MS - OWNERSHIP_TOKEN_MARGIN_MS);
    expect(planResume({ records: [], pending: PENDING, committed: undefined, now: late })).toEqual({
      kind: 'abandon',
      pending: PENDING,
      reason: 'ownership token expired',
    });
  });

  it('registered → verify, verified → commit, only for the pending certificate', () => {
    const registered = journal({ step: 'thing-registered', certificateId: 'c1', thingName: 't' });
    expect(planResume({ records: registered, pending: PENDING, committed: undefined, now: soon })).toEqual({
      kind: 'verify',
      pending: PENDING,
      thingName: 't',
    });
    const verified = journal(
      { step: 'thing-registered', certificateId: 'c1', thingName: 't' },
      { step: 'verified', certificateId: 'c1', thingName: 't' },
    );
    expect(planResume({ records: verified, pending: PENDING, committed: undefined, now: soon })).toEqual({
      kind: 'commit',
      pending: PENDING,
      thingName: 't',
    });
    const otherCert = journal({ step: 'thing-registered', certificateId: 'c0', thingName: 't' });
    expect(planResume({ records: otherCert, pending: PENDING, committed: undefined, now: soon })).toMatchObject({
      kind: 'register',
    });
  });
});
