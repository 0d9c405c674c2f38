/**
 * The end of a commit, finished on boot. Committing is three durable steps: `device.json` (the
 * commit point: from here the device is provisioned), removing the pending files, then the
 * journal's `committed` record. A power cut between the first and the last leaves a provisioned
 * device whose pending key is still on disk and whose journal stops at `verified` (`device status`
 * then reports `verified` as the last step). Whoever finds committed credentials calls
 * {@link finishCommit} first, so the steps after the commit point happen once, whatever cut them.
 */
import type { CommittedCredentials, CredentialStore, ProvisioningJournal } from '../storage/index.js';

/**
 * Completes the commit of `committed`: stale temp files and leftover pending files go (the pending
 * certificate was the committed one, or one a provisioned device can never use: a new job needs a
 * factory reset first, which clears the store), and the journal gets its `committed` record unless
 * it has one for this certificate. Idempotent. Resolves true when the commit had been cut (the
 * record was missing), for the boot log.
 */
export async function finishCommit(
  store: CredentialStore,
  journal: ProvisioningJournal,
  committed: CommittedCredentials,
): Promise<boolean> {
  await store.cleanup();
  // Marker first (discardPending's order): a cut here again leaves "nothing pending".
  await store.discardPending();
  const { certificateId, thingName } = committed;
  const { records } = await journal.load();
  if (records.some((r) => r.step === 'committed' && r.certificateId === certificateId)) return false;
  await journal.append({ step: 'committed', certificateId, thingName });
  return true;
}
