/**
 * What to do next, decided from what is on disk: the journal, the pending credentials and the
 * committed ones. Pure, so every crash point can be tested as data.
 *
 * The rules that keep "one device, one thing, no lost certificate":
 * - committed credentials win: the device is provisioned, nothing is sent to the cloud again;
 * - a pending certificate (saved with its key BEFORE RegisterThing) is reused, never replaced by a
 *   new one, while its ownership token is still valid;
 * - a pending certificate whose token has expired (AWS: 1 hour) is abandoned explicitly: the
 *   journal records `certificate-abandoned` with its id (AWS leaves it PENDING_ACTIVATION, unused)
 *   and a new certificate is requested;
 * - a `certificate-requested` with no `certificate-issued` after it means the cloud may hold an
 *   unused PENDING_ACTIVATION certificate whose key the device never saved: reported as
 *   `orphanedRequest` so the trace is in the journal and logs;
 * - a RegisterThing that was sent but whose answer was not journaled is `ambiguous`: it is sent
 *   again with the same token; if AWS says the token was spent, the first one succeeded and the
 *   certificate is abandoned for a fresh one, which RegisterThing maps to the SAME thing because the
 *   thing name comes from the device's own SerialNumber.
 */
import type { CommittedCredentials, PendingCredentials, JournalRecord } from '../storage/index.js';

/** AWS IoT keeps an ownership token valid this long after the certificate is issued (ms). */
export const OWNERSHIP_TOKEN_LIFETIME_MS = 60 * 60_000;
/** A token closer than this to expiry is not used: RegisterThing could not finish in time (ms). */
export const OWNERSHIP_TOKEN_MARGIN_MS = 60_000;

export type ResumePlan =
  | { kind: 'already-provisioned'; committed: CommittedCredentials }
  | { kind: 'commit'; pending: PendingCredentials; thingName: string }
  | { kind: 'verify'; pending: PendingCredentials; thingName: string }
  | { kind: 'register'; pending: PendingCredentials; ambiguous: boolean }
  | { kind: 'abandon'; pending: PendingCredentials; reason: string }
  | { kind: 'issue'; orphanedRequest: boolean };

export interface ResumeInput {
  records: readonly JournalRecord[];
  pending: PendingCredentials | undefined;
  committed: CommittedCredentials | undefined;
  now: Date;
}

export function planResume({ records, pending, committed, now }: ResumeInput): ResumePlan {
  if (committed) return { kind: 'already-provisioned', committed };
  if (pending) {
    const id = pending.certificateId;
    const mine = records.filter((r) => 'certificateId' in r && r.certificateId === id);
    const verified = mine.findLast((r) => r.step === 'verified');
    if (verified && verified.step === 'verified') return { kind: 'commit', pending, thingName: verified.thingName };
    const registered = mine.findLast((r) => r.step === 'thing-registered');
    if (registered && registered.step === 'thing-registered')
      return { kind: 'verify', pending, thingName: registered.thingName };
    const tokenDeadline = pending.issuedAt.getTime() + OWNERSHIP_TOKEN_LIFETIME_MS - OWNERSHIP_TOKEN_MARGIN_MS;
    if (now.getTime() >= tokenDeadline) return { kind: 'abandon', pending, reason: 'ownership token expired' };
    return { kind: 'register', pending, ambiguous: mine.some((r) => r.step === 'register-requested') };
  }
  const lastRequested = records.findLastIndex((r) => r.step === 'certificate-requested');
  // A rejection means nothing was issued; anything else after the request may have been.
  const lastSettled = records.findLastIndex(
    (r) => r.step === 'certificate-issued' || (r.step === 'failed' && r.code === 'CERTIFICATE_REJECTED'),
  );
  return { kind: 'issue', orphanedRequest: lastRequested >= 0 && lastRequested > lastSettled };
}
