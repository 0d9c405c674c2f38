import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * Cognito identities, persisted: one IdentityId (`region:uuid`) per (pool, provider, sub), stable
 * across calls and restarts. Unauthenticated identities have no provider and no sub.
 */
export interface IdentityRecord {
  identityId: string;
  poolId: string;
  providerName: string | null;
  sub: string | null;
}

interface Row {
  identity_id: string;
  pool_id: string;
  provider_name: string | null;
  sub: string | null;
}

export class IdentityStore {
  constructor(
    private readonly db: Database.Database,
    private readonly nowMs: () => number = Date.now,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS cognito_identities (
        identity_id TEXT PRIMARY KEY,
        pool_id TEXT NOT NULL,
        provider_name TEXT,
        sub TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS cognito_identities_login
        ON cognito_identities (pool_id, provider_name, sub) WHERE provider_name IS NOT NULL;
    `);
  }

  /** The identity for this login, created on first use (in one statement, so two racing GetId calls agree). */
  forLogin(poolId: string, region: string, providerName: string, sub: string): IdentityRecord {
    const tx = this.db.transaction(() => {
      const existing = this.db
        .prepare('SELECT * FROM cognito_identities WHERE pool_id = ? AND provider_name = ? AND sub = ?')
        .get(poolId, providerName, sub) as Row | undefined;
      if (existing) return toRecord(existing);
      const identityId = `${region}:${randomUUID()}`;
      this.db
        .prepare(
          'INSERT INTO cognito_identities (identity_id, pool_id, provider_name, sub, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(identityId, poolId, providerName, sub, this.nowMs());
      return { identityId, poolId, providerName, sub };
    });
    return tx();
  }

  createUnauthenticated(poolId: string, region: string): IdentityRecord {
    const identityId = `${region}:${randomUUID()}`;
    this.db
      .prepare(
        'INSERT INTO cognito_identities (identity_id, pool_id, provider_name, sub, created_at) VALUES (?, ?, NULL, NULL, ?)',
      )
      .run(identityId, poolId, this.nowMs());
    return { identityId, poolId, providerName: null, sub: null };
  }

  find(identityId: string): IdentityRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cognito_identities WHERE identity_id = ?').get(identityId) as
      Row | undefined;
    return row ? toRecord(row) : undefined;
  }
}

function toRecord(row: Row): IdentityRecord {
  return { identityId: row.identity_id, poolId: row.pool_id, providerName: row.provider_name, sub: row.sub };
}
