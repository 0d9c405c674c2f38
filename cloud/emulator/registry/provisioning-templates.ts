/**
 * Fleet-provisioning templates: up to {@link MAX_TEMPLATE_VERSIONS} body versions each (one the
 * default), the enabled flag, the provisioning role and the optional pre-provisioning hook.
 */
import { randomUUID } from 'node:crypto';
import { RegistryError } from './errors.js';
import type { Row, RegistryStore } from './store.js';
import { date, opt, str } from './store.js';
import type {
  NewProvisioningTemplate,
  PreProvisioningHook,
  ProvisioningTemplatePatch,
  ProvisioningTemplateRecord,
  TemplateVersionRecord,
} from './types.js';

/** AWS keeps at most 5 versions of a provisioning template. */
export const MAX_TEMPLATE_VERSIONS = 5;

/** A template with its default version's body. */
const WITH_DEFAULT_BODY =
  'SELECT t.*, v.body FROM provisioning_templates t JOIN template_versions v ON v.template_name = t.name AND v.version_id = t.default_version_id';

export class ProvisioningTemplateRepository {
  constructor(private readonly store: RegistryStore) {}

  create(input: NewProvisioningTemplate): ProvisioningTemplateRecord {
    if (this.get(input.templateName)) {
      throw new RegistryError(
        'ResourceAlreadyExistsException',
        `Template with name ${input.templateName} already exists`,
      );
    }
    const now = this.store.now().getTime();
    this.store
      .sql(
        `INSERT INTO provisioning_templates (name, arn, template_id, description, enabled, provisioning_role_arn, pre_provisioning_hook, type, default_version_id, next_version, creation_date, last_modified_date)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 2, ?, ?)`,
      )
      .run(
        input.templateName,
        this.store.arn('provisioningtemplate', input.templateName),
        randomUUID(),
        input.description ?? null,
        input.enabled === true ? 1 : 0,
        input.provisioningRoleArn,
        input.preProvisioningHook ? JSON.stringify(input.preProvisioningHook) : null,
        input.type ?? 'FLEET_PROVISIONING',
        now,
        now,
      );
    this.store
      .sql('INSERT INTO template_versions (template_name, version_id, body, creation_date) VALUES (?, 1, ?, ?)')
      .run(input.templateName, input.templateBody, now);
    return this.get(input.templateName) as ProvisioningTemplateRecord;
  }

  get(templateName: string): ProvisioningTemplateRecord | undefined {
    const row = this.store.sql(`${WITH_DEFAULT_BODY} WHERE t.name = ?`).get(templateName) as Row | undefined;
    return row ? templateFromRow(row) : undefined;
  }

  require(templateName: string): ProvisioningTemplateRecord {
    const t = this.get(templateName);
    if (!t)
      throw new RegistryError('ResourceNotFoundException', `The provisioning template ${templateName} does not exist`);
    return t;
  }

  list(): ProvisioningTemplateRecord[] {
    return (this.store.sql(`${WITH_DEFAULT_BODY} ORDER BY t.name`).all() as Row[]).map(templateFromRow);
  }

  update(templateName: string, patch: ProvisioningTemplatePatch): ProvisioningTemplateRecord {
    const current = this.require(templateName);
    if (patch.defaultVersionId !== undefined && !this.hasVersion(templateName, patch.defaultVersionId)) {
      throw new RegistryError(
        'ResourceNotFoundException',
        `Version ${patch.defaultVersionId} of template ${templateName} not found`,
      );
    }
    const hook = patch.preProvisioningHook === undefined ? current.preProvisioningHook : patch.preProvisioningHook;
    this.store
      .sql(
        'UPDATE provisioning_templates SET description = ?, enabled = ?, provisioning_role_arn = ?, pre_provisioning_hook = ?, default_version_id = ?, last_modified_date = ? WHERE name = ?',
      )
      .run(
        patch.description ?? current.description ?? null,
        (patch.enabled ?? current.enabled) ? 1 : 0,
        patch.provisioningRoleArn ?? current.provisioningRoleArn,
        hook ? JSON.stringify(hook) : null,
        patch.defaultVersionId ?? current.defaultVersionId,
        this.store.now().getTime(),
        templateName,
      );
    return this.require(templateName);
  }

  delete(templateName: string): void {
    this.require(templateName);
    this.store.sql('DELETE FROM provisioning_templates WHERE name = ?').run(templateName);
  }

  createVersion(templateName: string, templateBody: string, setAsDefault = false): TemplateVersionRecord {
    const row = this.store.sql('SELECT next_version FROM provisioning_templates WHERE name = ?').get(templateName) as
      Row | undefined;
    if (!row) throw new RegistryError('ResourceNotFoundException', `Template ${templateName} not found`);
    const count = (
      this.store.sql('SELECT COUNT(*) AS n FROM template_versions WHERE template_name = ?').get(templateName) as Row
    ).n as number;
    if (count >= MAX_TEMPLATE_VERSIONS)
      throw new RegistryError(
        'VersionsLimitExceededException',
        `The template ${templateName} already has the maximum number of versions (${MAX_TEMPLATE_VERSIONS})`,
      );
    const versionId = row.next_version as number;
    const now = this.store.now().getTime();
    this.store
      .sql('INSERT INTO template_versions (template_name, version_id, body, creation_date) VALUES (?, ?, ?, ?)')
      .run(templateName, versionId, templateBody, now);
    this.store
      .sql(
        `UPDATE provisioning_templates SET next_version = next_version + 1, last_modified_date = ?${setAsDefault ? ', default_version_id = ?' : ''} WHERE name = ?`,
      )
      .run(...(setAsDefault ? [now, versionId, templateName] : [now, templateName]));
    return { versionId, templateBody, creationDate: new Date(now), isDefaultVersion: setAsDefault };
  }

  listVersions(templateName: string): TemplateVersionRecord[] {
    const t = this.require(templateName);
    return (
      this.store
        .sql('SELECT * FROM template_versions WHERE template_name = ? ORDER BY version_id')
        .all(templateName) as Row[]
    ).map((r) => ({
      versionId: r.version_id as number,
      templateBody: str(r.body),
      creationDate: date(r.creation_date),
      isDefaultVersion: r.version_id === t.defaultVersionId,
    }));
  }

  deleteVersion(templateName: string, versionId: number): void {
    const t = this.require(templateName);
    if (t.defaultVersionId === versionId)
      throw new RegistryError('DeleteConflictException', 'Cannot delete the default version of a template');
    const r = this.store
      .sql('DELETE FROM template_versions WHERE template_name = ? AND version_id = ?')
      .run(templateName, versionId);
    if (r.changes === 0)
      throw new RegistryError(
        'ResourceNotFoundException',
        `Version ${versionId} of template ${templateName} not found`,
      );
  }

  private hasVersion(templateName: string, versionId: number): boolean {
    return (
      this.store
        .sql('SELECT 1 FROM template_versions WHERE template_name = ? AND version_id = ?')
        .get(templateName, versionId) !== undefined
    );
  }
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
