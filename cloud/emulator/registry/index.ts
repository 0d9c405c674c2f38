/**
 * The emulator's registry: things, certificates, policies, attachments, provisioning templates,
 * certificate ownership tokens and AWS credentials, in one SQLite file (better-sqlite3, WAL). Every
 * method is synchronous and atomic; {@link Registry.transaction} groups several into one (each
 * RegisterThing is applied that way, so a failure leaves nothing behind).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AwsCredentialRecord, CredentialStore } from '../contracts.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from '../contracts.js';
import { RegistryError } from './errors.js';
import { GroupDirectory } from './groups.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import type {
  CertificateRecord,
  CertificateStatus,
  NewCertificate,
  NewProvisioningTemplate,
  NewThing,
  OwnershipTokenResult,
  PolicyRecord,
  PolicyVersionRecord,
  PreProvisioningHook,
  ProvisioningTemplatePatch,
  ProvisioningTemplateRecord,
  TemplateVersionRecord,
  ThingRecord,
} from './types.js';

export * from './types.js';
export * from './errors.js';
export type { GroupRecord, ThingTypeRecord } from './groups.js';
export { GroupDirectory } from './groups.js';
export { SCHEMA_VERSION } from './schema.js';

/** Certificate ownership tokens from CreateKeysAndCertificate/FromCsr are valid this long (AWS: 1 hour). */
export const OWNERSHIP_TOKEN_TTL_MS = 60 * 60 * 1000;
/** AWS keeps at most 5 versions of a policy. */
export const MAX_POLICY_VERSIONS = 5;
/** AWS keeps at most 5 versions of a provisioning template. */
export const MAX_TEMPLATE_VERSIONS = 5;
/** How long a writer waits for the SQLite lock held by another connection. */
export const BUSY_TIMEOUT_MS = 5000;

export interface RegistryOptions {
  region?: string;
  accountId?: string;
  /** Injected clock (tests move it to expire claims and tokens). */
  now?: () => Date;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string => v as string;
const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : (v as string));
const date = (v: unknown): Date => new Date(v as number);

export class Registry {
  readonly region: string;
  readonly accountId: string;
  readonly credentials: CredentialStore;
  /** Thing types, thing groups and billing groups. */
  readonly groups: GroupDirectory;
  private readonly now: () => Date;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly db: Database.Database,
    options: RegistryOptions,
  ) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.now = options.now ?? (() => new Date());
    this.credentials = new SqliteCredentialStore((source) => this.sql(source));
    this.groups = new GroupDirectory(
      (source) => this.sql(source),
      (kind, name) => this.arn(kind, name),
      this.now,
    );
  }

  /** Opens (creating if needed) the registry file at `path`, applying pending migrations. */
  static open(path: string, options: RegistryOptions = {}): Registry {
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
    return new Registry(db, options);
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  /** Prepared statements are cached: preparing costs more than running most of these queries. */
  private sql(source: string): Database.Statement {
    let st = this.statements.get(source);
    if (!st) {
      st = this.db.prepare(source);
      this.statements.set(source, st);
    }
    return st;
  }

  /** Runs `fn` in one SQLite transaction (IMMEDIATE); any throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  arn(
    kind:
      | 'thing'
      | 'cert'
      | 'policy'
      | 'provisioningtemplate'
      | 'client'
      | 'topic'
      | 'topicfilter'
      | 'thingtype'
      | 'thinggroup'
      | 'billinggroup',
    name: string,
  ): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${kind}/${name}`;
  }

  // ---- things ----

  createThing(input: NewThing): ThingRecord {
    if (this.getThing(input.thingName))
      throw new RegistryError('ResourceAlreadyExistsException', `Thing ${input.thingName} already exists`);
    this.sql(
      'INSERT INTO things (name, thing_id, arn, attributes, thing_type_name, groups, billing_group, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)',
    ).run(
      input.thingName,
      randomUUID(),
      this.arn('thing', input.thingName),
      JSON.stringify(input.attributes ?? {}),
      input.thingTypeName ?? null,
      JSON.stringify(input.thingGroups ?? []),
      input.billingGroupName ?? null,
      this.now().getTime(),
    );
    return this.getThing(input.thingName) as ThingRecord;
  }

  getThing(thingName: string): ThingRecord | undefined {
    const row = this.sql('SELECT * FROM things WHERE name = ?').get(thingName) as Row | undefined;
    return row ? thingFromRow(row) : undefined;
  }

  listThings(): ThingRecord[] {
    return (this.sql('SELECT * FROM things ORDER BY name').all() as Row[]).map(thingFromRow);
  }

  /** Replaces attributes (merge = false) or merges them (AWS UpdateThing merge), bumping the version. */
  updateThing(
    thingName: string,
    patch: {
      attributes?: Record<string, string>;
      merge?: boolean;
      thingTypeName?: string | null;
      thingGroups?: string[];
      replaceGroups?: boolean;
      expectedVersion?: number;
    },
  ): ThingRecord {
    const thing = this.requireThing(thingName);
    if (patch.expectedVersion !== undefined && patch.expectedVersion !== thing.version) {
      throw new RegistryError(
        'VersionConflictException',
        `The version for thing ${thingName} does not match the expected version.`,
      );
    }
    let attributes = thing.attributes;
    if (patch.attributes) {
      attributes = patch.merge ? { ...thing.attributes, ...patch.attributes } : { ...patch.attributes };
      for (const [k, v] of Object.entries(attributes)) if (v === '') delete attributes[k];
    }
    const typeName = patch.thingTypeName === undefined ? (thing.thingTypeName ?? null) : patch.thingTypeName;
    const groups = patch.thingGroups
      ? [...new Set([...(patch.replaceGroups ? [] : thing.thingGroups), ...patch.thingGroups])]
      : thing.thingGroups;
    this.sql(
      'UPDATE things SET attributes = ?, thing_type_name = ?, groups = ?, version = version + 1 WHERE name = ?',
    ).run(JSON.stringify(attributes), typeName, JSON.stringify(groups), thingName);
    return this.requireThing(thingName);
  }

  deleteThing(thingName: string, expectedVersion?: number): void {
    const thing = this.getThing(thingName);
    if (!thing) return; // AWS: DeleteThing of a missing thing succeeds.
    if (expectedVersion !== undefined && expectedVersion !== thing.version) {
      throw new RegistryError(
        'VersionConflictException',
        `The version for thing ${thingName} does not match the expected version.`,
      );
    }
    if (this.listThingPrincipals(thingName).length > 0) {
      throw new RegistryError(
        'InvalidRequestException',
        `Cannot delete thing ${thingName}: it still has principals attached.`,
      );
    }
    this.sql('DELETE FROM things WHERE name = ?').run(thingName);
  }

  attachThingPrincipal(thingName: string, principalArn: string): void {
    this.requireThing(thingName);
    this.sql('INSERT OR IGNORE INTO thing_principals (thing_name, principal) VALUES (?, ?)').run(
      thingName,
      principalArn,
    );
  }

  detachThingPrincipal(thingName: string, principalArn: string): void {
    this.sql('DELETE FROM thing_principals WHERE thing_name = ? AND principal = ?').run(thingName, principalArn);
  }

  listThingPrincipals(thingName: string): string[] {
    return (
      this.sql('SELECT principal FROM thing_principals WHERE thing_name = ? ORDER BY principal').all(thingName) as Row[]
    ).map((r) => str(r.principal));
  }

  listPrincipalThings(principalArn: string): string[] {
    return (
      this.sql('SELECT thing_name FROM thing_principals WHERE principal = ? ORDER BY thing_name').all(
        principalArn,
      ) as Row[]
    ).map((r) => str(r.thing_name));
  }

  // ---- certificates ----

  insertCertificate(input: NewCertificate): CertificateRecord {
    if (this.getCertificate(input.certificateId)) {
      throw new RegistryError(
        'ResourceAlreadyExistsException',
        `The certificate is already provisioned or registered: ${input.certificateId}`,
      );
    }
    const now = this.now().getTime();
    this.sql(
      `INSERT INTO certificates (id, arn, pem, status, owner, ca_certificate_id, created_at, last_modified_at, not_before, not_after, is_claim, template_name, claim_expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      input.certificateId,
      this.arn('cert', input.certificateId),
      input.certificatePem,
      input.status,
      this.accountId,
      input.caCertificateId ?? null,
      now,
      now,
      input.notBefore.getTime(),
      input.notAfter.getTime(),
      input.isClaim ? 1 : 0,
      input.templateName ?? null,
      input.claimExpiresAt?.getTime() ?? null,
    );
    return this.getCertificate(input.certificateId) as CertificateRecord;
  }

  getCertificate(certificateId: string): CertificateRecord | undefined {
    const row = this.sql('SELECT * FROM certificates WHERE id = ?').get(certificateId) as Row | undefined;
    return row ? certificateFromRow(row) : undefined;
  }

  listCertificates(): CertificateRecord[] {
    return (this.sql('SELECT * FROM certificates ORDER BY created_at, id').all() as Row[]).map(certificateFromRow);
  }

  updateCertificateStatus(certificateId: string, status: CertificateStatus): CertificateRecord {
    const cert = this.requireCertificate(certificateId);
    if (cert.status === 'REVOKED' && status !== 'REVOKED') {
      throw new RegistryError(
        'CertificateStateException',
        `Certificate ${certificateId} is revoked and cannot change state.`,
      );
    }
    this.sql('UPDATE certificates SET status = ?, last_modified_at = ? WHERE id = ?').run(
      status,
      this.now().getTime(),
      certificateId,
    );
    return this.requireCertificate(certificateId);
  }

  /** AWS DeleteCertificate: only when not ACTIVE and nothing (policy, thing) is attached. */
  deleteCertificate(certificateId: string): void {
    const cert = this.requireCertificate(certificateId);
    if (cert.status === 'ACTIVE')
      throw new RegistryError('CertificateStateException', 'Certificate must be deactivated before deletion.');
    if (
      this.listAttachedPolicies(cert.certificateArn).length > 0 ||
      this.listPrincipalThings(cert.certificateArn).length > 0
    ) {
      throw new RegistryError('DeleteConflictException', 'Things or policies are attached to the certificate.');
    }
    this.sql('DELETE FROM certificates WHERE id = ?').run(certificateId);
  }

  // ---- policies ----

  createPolicy(policyName: string, document: string): PolicyRecord {
    if (this.getPolicy(policyName))
      throw new RegistryError('ResourceAlreadyExistsException', `Policy ${policyName} already exists`);
    const now = this.now().getTime();
    this.sql(
      'INSERT INTO policies (name, arn, default_version_id, next_version, created_at, last_modified_at) VALUES (?, ?, ?, 2, ?, ?)',
    ).run(policyName, this.arn('policy', policyName), '1', now, now);
    this.sql('INSERT INTO policy_versions (policy_name, version_id, document, created_at) VALUES (?, ?, ?, ?)').run(
      policyName,
      '1',
      document,
      now,
    );
    return this.getPolicy(policyName) as PolicyRecord;
  }

  getPolicy(policyName: string): PolicyRecord | undefined {
    const row = this.sql(
      'SELECT p.*, v.document FROM policies p JOIN policy_versions v ON v.policy_name = p.name AND v.version_id = p.default_version_id WHERE p.name = ?',
    ).get(policyName) as Row | undefined;
    return row ? policyFromRow(row) : undefined;
  }

  listPolicies(): PolicyRecord[] {
    return (
      this.sql(
        'SELECT p.*, v.document FROM policies p JOIN policy_versions v ON v.policy_name = p.name AND v.version_id = p.default_version_id ORDER BY p.name',
      ).all() as Row[]
    ).map(policyFromRow);
  }

  createPolicyVersion(policyName: string, document: string, setAsDefault = false): PolicyVersionRecord {
    const row = this.sql('SELECT next_version FROM policies WHERE name = ?').get(policyName) as Row | undefined;
    if (!row) throw new RegistryError('ResourceNotFoundException', `Policy ${policyName} not found`);
    const count = (this.sql('SELECT COUNT(*) AS n FROM policy_versions WHERE policy_name = ?').get(policyName) as Row)
      .n as number;
    if (count >= MAX_POLICY_VERSIONS)
      throw new RegistryError(
        'VersionsLimitExceededException',
        `The policy ${policyName} already has the maximum number of versions (${MAX_POLICY_VERSIONS})`,
      );
    const versionId = String(row.next_version as number);
    const now = this.now().getTime();
    this.sql('INSERT INTO policy_versions (policy_name, version_id, document, created_at) VALUES (?, ?, ?, ?)').run(
      policyName,
      versionId,
      document,
      now,
    );
    this.sql(
      `UPDATE policies SET next_version = next_version + 1, last_modified_at = ?${setAsDefault ? ', default_version_id = ?' : ''} WHERE name = ?`,
    ).run(...(setAsDefault ? [now, versionId, policyName] : [now, policyName]));
    return { versionId, document, isDefaultVersion: setAsDefault, createDate: new Date(now) };
  }

  listPolicyVersions(policyName: string): PolicyVersionRecord[] {
    const policy = this.requirePolicy(policyName);
    return (
      this.sql('SELECT * FROM policy_versions WHERE policy_name = ? ORDER BY CAST(version_id AS INTEGER) DESC').all(
        policyName,
      ) as Row[]
    ).map((r) => ({
      versionId: str(r.version_id),
      document: str(r.document),
      isDefaultVersion: r.version_id === policy.defaultVersionId,
      createDate: date(r.created_at),
    }));
  }

  deletePolicyVersion(policyName: string, versionId: string): void {
    this.sql('DELETE FROM policy_versions WHERE policy_name = ? AND version_id = ?').run(policyName, versionId);
  }

  /** AWS DeletePolicy: refused while the policy is attached or has non-default versions. */
  deletePolicy(policyName: string): void {
    this.requirePolicy(policyName);
    if (this.listPolicyTargets(policyName).length > 0)
      throw new RegistryError(
        'DeleteConflictException',
        `The policy cannot be deleted as the policy is attached to one or more principals (name=${policyName})`,
      );
    const versions = (
      this.sql('SELECT COUNT(*) AS n FROM policy_versions WHERE policy_name = ?').get(policyName) as Row
    ).n as number;
    if (versions > 1)
      throw new RegistryError(
        'DeleteConflictException',
        `Cannot delete the policy because it has non-default versions (name=${policyName})`,
      );
    this.sql('DELETE FROM policies WHERE name = ?').run(policyName);
  }

  /** Attaches a policy to a target (a certificate ARN, or any principal/group ARN). */
  attachPolicy(policyName: string, target: string): void {
    this.requirePolicy(policyName);
    this.sql('INSERT OR IGNORE INTO policy_targets (policy_name, target) VALUES (?, ?)').run(policyName, target);
  }

  detachPolicy(policyName: string, target: string): void {
    this.sql('DELETE FROM policy_targets WHERE policy_name = ? AND target = ?').run(policyName, target);
  }

  listAttachedPolicies(target: string): PolicyRecord[] {
    return (
      this.sql(
        'SELECT p.*, v.document FROM policy_targets t JOIN policies p ON p.name = t.policy_name JOIN policy_versions v ON v.policy_name = p.name AND v.version_id = p.default_version_id WHERE t.target = ? ORDER BY p.name',
      ).all(target) as Row[]
    ).map(policyFromRow);
  }

  listPolicyTargets(policyName: string): string[] {
    return (
      this.sql('SELECT target FROM policy_targets WHERE policy_name = ? ORDER BY target').all(policyName) as Row[]
    ).map((r) => str(r.target));
  }

  // ---- provisioning templates ----

  createProvisioningTemplate(input: NewProvisioningTemplate): ProvisioningTemplateRecord {
    if (this.getProvisioningTemplate(input.templateName)) {
      throw new RegistryError(
        'ResourceAlreadyExistsException',
        `Template with name ${input.templateName} already exists`,
      );
    }
    const now = this.now().getTime();
    this.sql(
      `INSERT INTO provisioning_templates (name, arn, template_id, description, enabled, provisioning_role_arn, pre_provisioning_hook, type, default_version_id, next_version, creation_date, last_modified_date)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 2, ?, ?)`,
    ).run(
      input.templateName,
      this.arn('provisioningtemplate', input.templateName),
      randomUUID(),
      input.description ?? null,
      input.enabled === true ? 1 : 0,
      input.provisioningRoleArn,
      input.preProvisioningHook ? JSON.stringify(input.preProvisioningHook) : null,
      input.type ?? 'FLEET_PROVISIONING',
      now,
      now,
    );
    this.sql('INSERT INTO template_versions (template_name, version_id, body, creation_date) VALUES (?, 1, ?, ?)').run(
      input.templateName,
      input.templateBody,
      now,
    );
    return this.getProvisioningTemplate(input.templateName) as ProvisioningTemplateRecord;
  }

  getProvisioningTemplate(templateName: string): ProvisioningTemplateRecord | undefined {
    const row = this.sql(
      'SELECT t.*, v.body FROM provisioning_templates t JOIN template_versions v ON v.template_name = t.name AND v.version_id = t.default_version_id WHERE t.name = ?',
    ).get(templateName) as Row | undefined;
    return row ? templateFromRow(row) : undefined;
  }

  listProvisioningTemplates(): ProvisioningTemplateRecord[] {
    return (
      this.sql(
        'SELECT t.*, v.body FROM provisioning_templates t JOIN template_versions v ON v.template_name = t.name AND v.version_id = t.default_version_id ORDER BY t.name',
      ).all() as Row[]
    ).map(templateFromRow);
  }

  updateProvisioningTemplate(templateName: string, patch: ProvisioningTemplatePatch): ProvisioningTemplateRecord {
    const current = this.requireTemplate(templateName);
    if (
      patch.defaultVersionId !== undefined &&
      !this.sql('SELECT 1 FROM template_versions WHERE template_name = ? AND version_id = ?').get(
        templateName,
        patch.defaultVersionId,
      )
    ) {
      throw new RegistryError(
        'ResourceNotFoundException',
        `Version ${patch.defaultVersionId} of template ${templateName} not found`,
      );
    }
    const hook = patch.preProvisioningHook === undefined ? current.preProvisioningHook : patch.preProvisioningHook;
    this.sql(
      'UPDATE provisioning_templates SET description = ?, enabled = ?, provisioning_role_arn = ?, pre_provisioning_hook = ?, default_version_id = ?, last_modified_date = ? WHERE name = ?',
    ).run(
      patch.description ?? current.description ?? null,
      (patch.enabled ?? current.enabled) ? 1 : 0,
      patch.provisioningRoleArn ?? current.provisioningRoleArn,
      hook ? JSON.stringify(hook) : null,
      patch.defaultVersionId ?? current.defaultVersionId,
      this.now().getTime(),
      templateName,
    );
    return this.requireTemplate(templateName);
  }

  createProvisioningTemplateVersion(
    templateName: string,
    templateBody: string,
    setAsDefault = false,
  ): TemplateVersionRecord {
    const row = this.sql('SELECT next_version FROM provisioning_templates WHERE name = ?').get(templateName) as
      Row | undefined;
    if (!row) throw new RegistryError('ResourceNotFoundException', `Template ${templateName} not found`);
    const count = (
      this.sql('SELECT COUNT(*) AS n FROM template_versions WHERE template_name = ?').get(templateName) as Row
    ).n as number;
    if (count >= MAX_TEMPLATE_VERSIONS)
      throw new RegistryError(
        'VersionsLimitExceededException',
        `The template ${templateName} already has the maximum number of versions (${MAX_TEMPLATE_VERSIONS})`,
      );
    const versionId = row.next_version as number;
    const now = this.now().getTime();
    this.sql('INSERT INTO template_versions (template_name, version_id, body, creation_date) VALUES (?, ?, ?, ?)').run(
      templateName,
      versionId,
      templateBody,
      now,
    );
    this.sql(
      `UPDATE provisioning_templates SET next_version = next_version + 1, last_modified_date = ?${setAsDefault ? ', default_version_id = ?' : ''} WHERE name = ?`,
    ).run(...(setAsDefault ? [now, versionId, templateName] : [now, templateName]));
    return { versionId, templateBody, creationDate: new Date(now), isDefaultVersion: setAsDefault };
  }

  listProvisioningTemplateVersions(templateName: string): TemplateVersionRecord[] {
    const t = this.requireTemplate(templateName);
    return (
      this.sql('SELECT * FROM template_versions WHERE template_name = ? ORDER BY version_id').all(templateName) as Row[]
    ).map((r) => ({
      versionId: r.version_id as number,
      templateBody: str(r.body),
      creationDate: date(r.creation_date),
      isDefaultVersion: r.version_id === t.defaultVersionId,
    }));
  }

  deleteProvisioningTemplateVersion(templateName: string, versionId: number): void {
    const t = this.requireTemplate(templateName);
    if (t.defaultVersionId === versionId)
      throw new RegistryError('DeleteConflictException', 'Cannot delete the default version of a template');
    const r = this.sql('DELETE FROM template_versions WHERE template_name = ? AND version_id = ?').run(
      templateName,
      versionId,
    );
    if (r.changes === 0)
      throw new RegistryError(
        'ResourceNotFoundException',
        `Version ${versionId} of template ${templateName} not found`,
      );
  }

  deleteProvisioningTemplate(templateName: string): void {
    this.requireTemplate(templateName);
    this.sql('DELETE FROM provisioning_templates WHERE name = ?').run(templateName);
  }

  // ---- certificate ownership tokens ----

  /** Issues a single-use token (valid {@link OWNERSHIP_TOKEN_TTL_MS}) proving who received a new certificate. */
  createOwnershipToken(certificateId: string): string {
    const token = randomBytes(48).toString('base64url');
    const now = this.now().getTime();
    this.purgeExpiredOwnershipTokens();
    this.sql('INSERT INTO ownership_tokens (token, certificate_id, expires_at) VALUES (?, ?, ?)').run(
      token,
      certificateId,
      now + OWNERSHIP_TOKEN_TTL_MS,
    );
    return token;
  }

  /**
   * Drops expired tokens and, as AWS does, the certificates they were for when those were never
   * activated nor attached to anything. Returns how many certificates were deleted.
   */
  purgeExpiredOwnershipTokens(): number {
    return this.transaction(() => {
      const expired = this.sql('DELETE FROM ownership_tokens WHERE expires_at <= ? RETURNING certificate_id').all(
        this.now().getTime(),
      ) as Row[];
      let deleted = 0;
      for (const r of expired) {
        const cert = this.getCertificate(str(r.certificate_id));
        if (!cert || cert.status !== 'PENDING_ACTIVATION') continue;
        if (
          this.listAttachedPolicies(cert.certificateArn).length > 0 ||
          this.listPrincipalThings(cert.certificateArn).length > 0
        )
          continue;
        this.sql('DELETE FROM certificates WHERE id = ?').run(cert.certificateId);
        deleted++;
      }
      return deleted;
    });
  }

  /** Looks a token up without consuming it (undefined when unknown or expired). */
  peekOwnershipToken(token: string): { certificateId: string; expiresAt: Date } | undefined {
    const row = this.sql(
      'SELECT certificate_id, expires_at FROM ownership_tokens WHERE token = ? AND expires_at > ?',
    ).get(token, this.now().getTime()) as Row | undefined;
    return row ? { certificateId: str(row.certificate_id), expiresAt: date(row.expires_at) } : undefined;
  }

  /** Consumes a token: it works once, and only before it expires. */
  consumeOwnershipToken(token: string): OwnershipTokenResult {
    const row = this.sql('DELETE FROM ownership_tokens WHERE token = ? RETURNING certificate_id, expires_at').get(
      token,
    ) as Row | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    if ((row.expires_at as number) <= this.now().getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, certificateId: str(row.certificate_id) };
  }

  // ---- helpers ----

  requireThing(thingName: string): ThingRecord {
    const t = this.getThing(thingName);
    if (!t) throw new RegistryError('ResourceNotFoundException', `Thing ${thingName} cannot be found.`);
    return t;
  }

  requireCertificate(certificateId: string): CertificateRecord {
    const c = this.getCertificate(certificateId);
    if (!c) throw new RegistryError('ResourceNotFoundException', `The certificate ${certificateId} cannot be found.`);
    return c;
  }

  requirePolicy(policyName: string): PolicyRecord {
    const p = this.getPolicy(policyName);
    if (!p) throw new RegistryError('ResourceNotFoundException', `Policy not found: ${policyName}`);
    return p;
  }

  requireTemplate(templateName: string): ProvisioningTemplateRecord {
    const t = this.getProvisioningTemplate(templateName);
    if (!t)
      throw new RegistryError('ResourceNotFoundException', `The provisioning template ${templateName} does not exist`);
    return t;
  }
}

/**
 * AWS credentials in the same SQLite file. Expired records are returned as stored (the caller
 * answers ExpiredTokenException, which differs from an unknown key).
 */
class SqliteCredentialStore implements CredentialStore {
  constructor(private readonly sql: (source: string) => Database.Statement) {}

  put(record: AwsCredentialRecord): void {
    this.sql('INSERT OR REPLACE INTO credentials (access_key_id, record, expires_at) VALUES (?, ?, ?)').run(
      record.accessKeyId,
      JSON.stringify({ ...record, expiration: record.expiration?.toISOString() }),
      record.expiration?.getTime() ?? null,
    );
  }

  get(accessKeyId: string): AwsCredentialRecord | undefined {
    const row = this.sql('SELECT record, expires_at FROM credentials WHERE access_key_id = ?').get(accessKeyId) as
      Row | undefined;
    if (!row) return undefined;
    const parsed = JSON.parse(str(row.record)) as Omit<AwsCredentialRecord, 'expiration'> & { expiration?: string };
    const { expiration, ...rest } = parsed;
    return expiration === undefined ? rest : { ...rest, expiration: new Date(expiration) };
  }

  delete(accessKeyId: string): void {
    this.sql('DELETE FROM credentials WHERE access_key_id = ?').run(accessKeyId);
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

function thingFromRow(r: Row): ThingRecord {
  const t: ThingRecord = {
    thingName: str(r.name),
    thingId: str(r.thing_id),
    thingArn: str(r.arn),
    attributes: JSON.parse(str(r.attributes)) as Record<string, string>,
    thingGroups: JSON.parse(str(r.groups)) as string[],
    version: r.version as number,
    createdAt: date(r.created_at),
  };
  const type = opt(r.thing_type_name);
  if (type !== undefined) t.thingTypeName = type;
  const billing = opt(r.billing_group);
  if (billing !== undefined) t.billingGroupName = billing;
  return t;
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

function templateFromRow(r: Row): ProvisioningTemplateRecord {
  const t: ProvisioningTemplateRecord = {
    templateName: str(r.name),
    templateArn: str(r.arn),
    templateId: str(r.template_id),
    templateBody: str(r.body),
    enabled: r.enabled === 1,
    provisioningRoleArn: str(r.provisioning_role_arn),
    type: str(r.type) as ProvisioningTemplateRecord['type'],
    defaultVersionId: r.default_version_id as number,
    creationDate: date(r.creation_date),
    lastModifiedDate: date(r.last_modified_date),
  };
  const d = opt(r.description);
  if (d !== undefined) t.description = d;
  const hook = opt(r.pre_provisioning_hook);
  if (hook !== undefined) t.preProvisioningHook = JSON.parse(hook) as PreProvisioningHook;
  return t;
}
