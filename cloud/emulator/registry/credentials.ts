/**
 * AWS credentials (contracts.ts's {@link CredentialStore}) in the registry's SQLite file. Expired
 * records are returned as stored (the caller answers ExpiredTokenException, which differs from an
 * unknown key).
 */
import type { AwsCredentialRecord, CredentialStore } from '../contracts/index.js';
import type { Row, RegistryStore } from './store.js';
import { str } from './store.js';

export class SqliteCredentialStore implements CredentialStore {
  constructor(private readonly store: RegistryStore) {}

  put(record: AwsCredentialRecord): void {
    this.store
      .sql('INSERT OR REPLACE INTO credentials (access_key_id, record, expires_at) VALUES (?, ?, ?)')
      .run(
        record.accessKeyId,
        JSON.stringify({ ...record, expiration: record.expiration?.toISOString() }),
        record.expiration?.getTime() ?? null,
      );
  }

  get(accessKeyId: string): AwsCredentialRecord | undefined {
    const row = this.store
      .sql('SELECT record, expires_at FROM credentials WHERE access_key_id = ?')
      .get(accessKeyId) as Row | undefined;
    if (!row) return undefined;
    const parsed = JSON.parse(str(row.record)) as Omit<AwsCredentialRecord, 'expiration'> & { expiration?: string };
    const { expiration, ...rest } = parsed;
    return expiration === undefined ? rest : { ...rest, expiration: new Date(expiration) };
  }

  delete(accessKeyId: string): void {
    this.store.sql('DELETE FROM credentials WHERE access_key_id = ?').run(accessKeyId);
  }
}
