import type Database from 'better-sqlite3';

/**
 * oidc-provider's storage adapter over SQLite, so that sessions, grants, refresh tokens and device
 * codes survive an emulator restart. One table for every model; `grant_id`, `user_code` and `uid`
 * are the secondary indexes the adapter interface looks up by.
 */

export type AdapterPayload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
};

/** Expired rows are deleted once every this many writes (a cheap, bounded sweep). */
const SWEEP_EVERY_UPSERTS = 200;

export function createOidcTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS oidc_payloads (
      model TEXT NOT NULL,
      id TEXT NOT NULL,
      payload TEXT NOT NULL,
      grant_id TEXT,
      user_code TEXT,
      uid TEXT,
      expires_at INTEGER,
      consumed_at INTEGER,
      PRIMARY KEY (model, id)
    );
    CREATE INDEX IF NOT EXISTS oidc_payloads_grant ON oidc_payloads (grant_id);
    CREATE INDEX IF NOT EXISTS oidc_payloads_user_code ON oidc_payloads (model, user_code);
    CREATE INDEX IF NOT EXISTS oidc_payloads_uid ON oidc_payloads (model, uid);
  `);
}

interface Row {
  payload: string;
  consumed_at: number | null;
}

/** Returns the factory oidc-provider's `adapter` option takes: `(modelName) => adapter`. */
export function sqliteAdapterFactory(
  db: Database.Database,
  nowMs: () => number = Date.now,
): (model: string) => SqliteAdapter {
  createOidcTables(db);
  const counter = { upserts: 0 };
  return (model: string) => new SqliteAdapter(db, model, nowMs, counter);
}

// oidc-provider's adapter interface is promise-based and better-sqlite3 is synchronous: `async` turns
// a SQLite error into the rejection the provider expects, with nothing to await.
/* eslint-disable @typescript-eslint/require-await */
export class SqliteAdapter {
  constructor(
    private readonly db: Database.Database,
    private readonly model: string,
    private readonly nowMs: () => number,
    private readonly counter: { upserts: number },
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? this.nowMs() + expiresIn * 1000 : null;
    this.db
      .prepare(
        `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
      )
      .run(
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresAt,
      );
    this.counter.upserts += 1;
    if (this.counter.upserts % SWEEP_EVERY_UPSERTS === 0) {
      this.db.prepare('DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at < ?').run(this.nowMs());
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.one('id = ?', id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.one('user_code = ?', userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.one('uid = ?', uid);
  }

  async consume(id: string): Promise<void> {
    this.db
      .prepare('UPDATE oidc_payloads SET consumed_at = ? WHERE model = ? AND id = ?')
      .run(Math.floor(this.nowMs() / 1000), this.model, id);
  }

  async destroy(id: string): Promise<void> {
    this.db.prepare('DELETE FROM oidc_payloads WHERE model = ? AND id = ?').run(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.db.prepare('DELETE FROM oidc_payloads WHERE grant_id = ?').run(grantId);
  }

  private one(where: string, value: string): AdapterPayload | undefined {
    const row = this.db
      .prepare(
        `SELECT payload, consumed_at FROM oidc_payloads
      WHERE model = ? AND ${where} AND (expires_at IS NULL OR expires_at > ?)`,
      )
      .get(this.model, value, this.nowMs()) as Row | undefined;
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = row.consumed_at;
    return payload;
  }
}
/* eslint-enable @typescript-eslint/require-await */
