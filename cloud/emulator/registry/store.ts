/**
 * The one SQLite connection every repository of the registry writes through: opening the file
 * (owner-only, WAL, migrations), the prepared-statement cache, the clock, ARNs, and the transaction
 * boundary. Because all repositories share this connection, {@link RegistryStore.transaction} makes
 * writes to several record kinds (a RegisterThing: thing, certificate, policies, token) one unit.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

/** How long a writer waits for the SQLite lock held by another connection. */
export const BUSY_TIMEOUT_MS = 5000;

export type ArnKind =
  | 'thing'
  | 'cert'
  | 'policy'
  | 'provisioningtemplate'
  | 'client'
  | 'topic'
  | 'topicfilter'
  | 'thingtype'
  | 'thinggroup'
  | 'billinggroup';

/** A row as better-sqlite3 returns it. */
export type Row = Record<string, unknown>;

export const str = (v: unknown): string => v as string;
export const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : (v as string));
export const date = (v: unknown): Date => new Date(v as number);

export class RegistryStore {
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * One better-sqlite3 transaction function, made once, that runs whatever it is given: making one
   * per call (db.transaction(fn)) builds five wrappers each time, on every registration's path.
   */
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  private constructor(
    private readonly db: Database.Database,
    readonly region: string,
    readonly accountId: string,
    /** Injected clock (tests move it to expire claims and tokens). */
    readonly now: () => Date,
  ) {
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /** Opens (creating if needed) the SQLite file at `path`, applying pending migrations. */
  static open(path: string, region: string, accountId: string, now: () => Date): RegistryStore {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      // The file holds certificate records and credential secrets: owner-only.
      chmodSync(path, 0o600);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new RegistryStore(db, region, accountId, now);
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  /** Prepared statements are cached: preparing costs more than running most of these queries. */
  sql(source: string): Database.Statement {
    let st = this.statements.get(source);
    if (!st) {
      st = this.db.prepare(source);
      this.statements.set(source, st);
    }
    return st;
  }

  /** Runs `fn` in one SQLite transaction (IMMEDIATE); any throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn) as T;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  arn(kind: ArnKind, name: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${kind}/${name}`;
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`Registry schema version ${current} is newer than this emulator understands (${SCHEMA_VERSION})`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
