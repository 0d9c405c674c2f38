/**
 * IoT policies: documents with up to {@link MAX_POLICY_VERSIONS} versions, one of them the default,
 * and their attachments to targets (certificate ARNs, or any principal/group ARN).
 */
import { RegistryError } from './errors.js';
import type { Row, RegistryStore } from './store.js';
import { date, str } from './store.js';
import type { PolicyRecord, PolicyVersionRecord } from './types.js';

/** AWS keeps at most 5 versions of a policy. */
export const MAX_POLICY_VERSIONS = 5;

/** A policy with its default version's document. */
const WITH_DEFAULT_DOCUMENT =
  'SELECT p.*, v.document FROM policies p JOIN policy_versions v ON v.policy_name = p.name AND v.version_id = p.default_version_id';

export class PolicyRepository {
  constructor(private readonly store: RegistryStore) {}

  create(policyName: string, document: string): PolicyRecord {
    if (this.get(policyName))
      throw new RegistryError('ResourceAlreadyExistsException', `Policy ${policyName} already exists`);
    const now = this.store.now().getTime();
    this.store
      .sql(
        'INSERT INTO policies (name, arn, default_version_id, next_version, created_at, last_modified_at) VALUES (?, ?, ?, 2, ?, ?)',
      )
      .run(policyName, this.store.arn('policy', policyName), '1', now, now);
    this.store
      .sql('INSERT INTO policy_versions (policy_name, version_id, document, created_at) VALUES (?, ?, ?, ?)')
      .run(policyName, '1', document, now);
    return this.get(policyName) as PolicyRecord;
  }

  get(policyName: string): PolicyRecord | undefined {
    const row = this.store.sql(`${WITH_DEFAULT_DOCUMENT} WHERE p.name = ?`).get(policyName) as Row | undefined;
    return row ? policyFromRow(row) : undefined;
  }

  require(policyName: string): PolicyRecord {
    const p = this.get(policyName);
    if (!p) throw new RegistryError('ResourceNotFoundException', `Policy not found: ${policyName}`);
    return p;
  }

  list(): PolicyRecord[] {
    return (this.store.sql(`${WITH_DEFAULT_DOCUMENT} ORDER BY p.name`).all() as Row[]).map(policyFromRow);
  }

  /** AWS DeletePolicy: refused while the policy is attached or has non-default versions. */
  delete(policyName: string): void {
    this.require(policyName);
    if (this.listTargets(policyName).length > 0)
      throw new RegistryError(
        'DeleteConflictException',
        `The policy cannot be deleted as the policy is attached to one or more principals (name=${policyName})`,
      );
    if (this.versionCount(policyName) > 1)
      throw new RegistryError(
        'DeleteConflictException',
        `Cannot delete the policy because it has non-default versions (name=${policyName})`,
      );
    this.store.sql('DELETE FROM policies WHERE name = ?').run(policyName);
  }

  createVersion(policyName: string, document: string, setAsDefault = false): PolicyVersionRecord {
    const row = this.store.sql('SELECT next_version FROM policies WHERE name = ?').get(policyName) as Row | undefined;
    if (!row) throw new RegistryError('ResourceNotFoundException', `Policy ${policyName} not found`);
    if (this.versionCount(policyName) >= MAX_POLICY_VERSIONS)
      throw new RegistryError(
        'VersionsLimitExceededException',
        `The policy ${policyName} already has the maximum number of versions (${MAX_POLICY_VERSIONS})`,
      );
    const versionId = String(row.next_version);
    const now = this.store.now().getTime();
    this.store
      .sql('INSERT INTO policy_versions (policy_name, version_id, document, created_at) VALUES (?, ?, ?, ?)')
      .run(policyName, versionId, document, now);
    this.store
      .sql(
        `UPDATE policies SET next_version = next_version + 1, last_modified_at = ?${setAsDefault ? ', default_version_id = ?' : ''} WHERE name = ?`,
      )
      .run(...(setAsDefault ? [now, versionId, policyName] : [now, policyName]));
    return { versionId, document, isDefaultVersion: setAsDefault, createDate: new Date(now) };
  }

  listVersions(policyName: string): PolicyVersionRecord[] {
    const policy = this.require(policyName);
    return (
      this.store
        .sql('SELECT * FROM policy_versions WHERE policy_name = ? ORDER BY CAST(version_id AS INTEGER) DESC')
        .all(policyName) as Row[]
    ).map((r) => ({
      versionId: str(r.version_id),
      document: str(r.document),
      isDefaultVersion: r.version_id === policy.defaultVersionId,
      createDate: date(r.created_at),
    }));
  }

  deleteVersion(policyName: string, versionId: string): void {
    this.store.sql('DELETE FROM policy_versions WHERE policy_name = ? AND version_id = ?').run(policyName, versionId);
  }

  /** Attaches a policy to a target (a certificate ARN, or any principal/group ARN). */
  attach(policyName: string, target: string): void {
    this.require(policyName);
    this.store.sql('INSERT OR IGNORE INTO policy_targets (policy_name, target) VALUES (?, ?)').run(policyName, target);
  }

  detach(policyName: string, target: string): void {
    this.store.sql('DELETE FROM policy_targets WHERE policy_name = ? AND target = ?').run(policyName, target);
  }

  /** The policies attached to a target, with their default documents. */
  listAttached(target: string): PolicyRecord[] {
    return (
      this.store
        .sql(
          'SELECT p.*, v.document FROM policy_targets t JOIN policies p ON p.name = t.policy_name JOIN policy_versions v ON v.policy_name = p.name AND v.version_id = p.default_version_id WHERE t.target = ? ORDER BY p.name',
        )
        .all(target) as Row[]
    ).map(policyFromRow);
  }

  /** The targets a policy is attached to (AWS ListTargetsForPolicy). */
  listTargets(policyName: string): string[] {
    return (
      this.store.sql('SELECT target FROM policy_targets WHERE policy_name = ? ORDER BY target').all(policyName) as Row[]
    ).map((r) => str(r.target));
  }

  private versionCount(policyName: string): number {
    return (this.store.sql('SELECT COUNT(*) AS n FROM policy_versions WHERE policy_name = ?').get(policyName) as Row)
      .n as number;
  }
}

function policyFromRow(r: Row): PolicyRecord {
  return {
    policyName: str(r.name),
    policyArn: str(r.arn),
    policyDocument: str(r.document),
    defaultVersionId: str(r.default_version_id),
    creationDate: date(r.created_at),
    lastModifiedDate: date(r.last_modified_at),
  };
}
