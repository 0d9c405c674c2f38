/**
 * Certificate ownership tokens: CreateKeysAndCertificate and CreateCertificateFromCsr hand one out
 * with each new certificate; RegisterThing consumes it. Single use, valid
 * {@link OWNERSHIP_TOKEN_TTL_MS}.
 */
import { randomBytes } from 'node:crypto';
import type { CertificateRepository } from './certificates.js';
import type { Row, RegistryStore } from './store.js';
import { date, str } from './store.js';
import type { OwnershipTokenResult } from './types.js';

/** Certificate ownership tokens from CreateKeysAndCertificate/FromCsr are valid this long (AWS: 1 hour). */
export const OWNERSHIP_TOKEN_TTL_MS = 60 * 60 * 1000;

export class OwnershipTokenRepository {
  constructor(
    private readonly store: RegistryStore,
    private readonly certificates: CertificateRepository,
  ) {}

  /** Issues a single-use token (valid {@link OWNERSHIP_TOKEN_TTL_MS}) proving who received a new certificate. */
  create(certificateId: string): string {
    const token = randomBytes(48).toString('base64url');
    const now = this.store.now().getTime();
    this.purgeExpired();
    this.store
      .sql('INSERT INTO ownership_tokens (token, certificate_id, expires_at) VALUES (?, ?, ?)')
      .run(token, certificateId, now + OWNERSHIP_TOKEN_TTL_MS);
    return token;
  }

  /**
   * Drops expired tokens and, as AWS does, the certificates they were for when those were never
   * activated nor attached to anything. Returns how many certificates were deleted.
   */
  purgeExpired(): number {
    return this.store.transaction(() => {
      const expired = this.store
        .sql('DELETE FROM ownership_tokens WHERE expires_at <= ? RETURNING certificate_id')
        .all(this.store.now().getTime()) as Row[];
      let deleted = 0;
      for (const r of expired) if (this.certificates.deleteIfAbandoned(str(r.certificate_id))) deleted++;
      return deleted;
    });
  }

  /** Looks a token up without consuming it (undefined when unknown or expired). */
  peek(token: string): { certificateId: string; expiresAt: Date } | undefined {
    const row = this.store
      .sql('SELECT certificate_id, expires_at FROM ownership_tokens WHERE token = ? AND expires_at > ?')
      .get(token, this.store.now().getTime()) as Row | undefined;
    return row ? { certificateId: str(row.certificate_id), expiresAt: date(row.expires_at) } : undefined;
  }

  /** Consumes a token: it works once, and only before it expires. */
  consume(token: string): OwnershipTokenResult {
    const row = this.store
      .sql('DELETE FROM ownership_tokens WHERE token = ? RETURNING certificate_id, expires_at')
      .get(token) as Row | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    if ((row.expires_at as number) <= this.store.now().getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, certificateId: str(row.certificate_id) };
  }
}
