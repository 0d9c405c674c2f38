/**
 * Certificates: device and claim certificates the emulator CA issued or that were registered, with
 * AWS's status rules (a REVOKED certificate stays revoked; DeleteCertificate needs it not ACTIVE and
 * nothing attached). Attachments live with things and policies, so those repositories are asked.
 */
import { RegistryError } from './errors.js';
import type { PolicyRepository } from './policies.js';
import type { Row, RegistryStore } from './store.js';
import { date, opt, str } from './store.js';
import type { ThingRepository } from './things.js';
import type { CertificateRecord, CertificateStatus, CertificateUsability, NewCertificate } from './types.js';

export class CertificateRepository {
  constructor(
    private readonly store: RegistryStore,
    private readonly things: ThingRepository,
    private readonly policies: PolicyRepository,
  ) {}

  insert(input: NewCertificate): CertificateRecord {
    if (this.get(input.certificateId)) {
      throw new RegistryError(
        'ResourceAlreadyExistsException',
        `The certificate is already provisioned or registered: ${input.certificateId}`,
      );
    }
    const now = this.store.now().getTime();
    this.store
      .sql(
        `INSERT INTO certificates (id, arn, pem, status, owner, ca_certificate_id, created_at, last_modified_at, not_before, not_after, is_claim, template_name, claim_expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.certificateId,
        this.store.arn('cert', input.certificateId),
        input.certificatePem,
        input.status,
        this.store.accountId,
        input.caCertificateId ?? null,
        now,
        now,
        input.notBefore.getTime(),
        input.notAfter.getTime(),
        input.isClaim ? 1 : 0,
        input.templateName ?? null,
        input.claimExpiresAt?.getTime() ?? null,
      );
    return this.get(input.certificateId) as CertificateRecord;
  }

  get(certificateId: string): CertificateRecord | undefined {
    const row = this.store.sql('SELECT * FROM certificates WHERE id = ?').get(certificateId) as Row | undefined;
    return row ? certificateFromRow(row) : undefined;
  }

  /**
   * Whether each of `certificateIds` that exists may be used, by id: one statement, however many
   * ids, reading only the columns that decide it (not the PEM: the broker asks this every second
   * for every connected certificate).
   */
  usabilityOf(certificateIds: Iterable<string>): Map<string, CertificateUsability> {
    const rows = this.store
      .sql(
        'SELECT id, status, not_before, not_after, is_claim, claim_expires_at FROM certificates WHERE id IN (SELECT value FROM json_each(?))',
      )
      .all(JSON.stringify([...certificateIds])) as Row[];
    return new Map(
      rows.map((r) => {
        const u: CertificateUsability = {
          status: str(r.status) as CertificateStatus,
          notBefore: date(r.not_before),
          notAfter: date(r.not_after),
          isClaim: r.is_claim === 1,
        };
        if (r.claim_expires_at !== null && r.claim_expires_at !== undefined)
          u.claimExpiresAt = date(r.claim_expires_at);
        return [str(r.id), u];
      }),
    );
  }

  require(certificateId: string): CertificateRecord {
    const c = this.get(certificateId);
    if (!c) throw new RegistryError('ResourceNotFoundException', `The certificate ${certificateId} cannot be found.`);
    return c;
  }

  list(): CertificateRecord[] {
    return (this.store.sql('SELECT * FROM certificates ORDER BY created_at, id').all() as Row[]).map(
      certificateFromRow,
    );
  }

  updateStatus(certificateId: string, status: CertificateStatus): CertificateRecord {
    const cert = this.require(certificateId);
    if (cert.status === 'REVOKED' && status !== 'REVOKED') {
      throw new RegistryError(
        'CertificateStateException',
        `Certificate ${certificateId} is revoked and cannot change state.`,
      );
    }
    this.store
      .sql('UPDATE certificates SET status = ?, last_modified_at = ? WHERE id = ?')
      .run(status, this.store.now().getTime(), certificateId);
    return this.require(certificateId);
  }

  /** AWS DeleteCertificate: only when not ACTIVE and nothing (policy, thing) is attached. */
  delete(certificateId: string): void {
    const cert = this.require(certificateId);
    if (cert.status === 'ACTIVE')
      throw new RegistryError('CertificateStateException', 'Certificate must be deactivated before deletion.');
    if (this.hasAttachments(cert))
      throw new RegistryError('DeleteConflictException', 'Things or policies are attached to the certificate.');
    this.store.sql('DELETE FROM certificates WHERE id = ?').run(certificateId);
  }

  /**
   * Deletes the certificate if it was never activated and nothing is attached to it (what AWS does
   * when its ownership token expires unused). Returns whether it was deleted.
   */
  deleteIfAbandoned(certificateId: string): boolean {
    const cert = this.get(certificateId);
    if (!cert || cert.status !== 'PENDING_ACTIVATION' || this.hasAttachments(cert)) return false;
    this.store.sql('DELETE FROM certificates WHERE id = ?').run(certificateId);
    return true;
  }

  private hasAttachments(cert: CertificateRecord): boolean {
    return (
      this.policies.listAttached(cert.certificateArn).length > 0 ||
      this.things.listByPrincipal(cert.certificateArn).length > 0
    );
  }
}

function certificateFromRow(r: Row): CertificateRecord {
  const c: CertificateRecord = {
    certificateId: str(r.id),
    certificateArn: str(r.arn),
    certificatePem: str(r.pem),
    status: str(r.status) as CertificateStatus,
    ownedBy: str(r.owner),
    creationDate: date(r.created_at),
    lastModifiedDate: date(r.last_modified_at),
    notBefore: date(r.not_before),
    notAfter: date(r.not_after),
    isClaim: r.is_claim === 1,
  };
  const ca = opt(r.ca_certificate_id);
  if (ca !== undefined) c.caCertificateId = ca;
  const tn = opt(r.template_name);
  if (tn !== undefined) c.templateName = tn;
  if (r.claim_expires_at !== null && r.claim_expires_at !== undefined) c.claimExpiresAt = date(r.claim_expires_at);
  return c;
}
