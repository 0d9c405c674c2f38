/**
 * The registry's schema as numbered migrations. `PRAGMA user_version` holds how many have been
 * applied; a database from a newer emulator (higher version than we know) is refused rather than
 * guessed at. Append migrations; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE things (
    name TEXT PRIMARY KEY,
    thing_id TEXT NOT NULL UNIQUE,
    arn TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    thing_type_name TEXT,
    groups TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    pem TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    ca_certificate_id TEXT,
    created_at INTEGER NOT NULL,
    last_modified_at INTEGER NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    is_claim INTEGER NOT NULL DEFAULT 0,
    template_name TEXT,
    claim_expires_at INTEGER
  );
  CREATE TABLE policies (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    default_version_id TEXT NOT NULL,
    next_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_modified_at INTEGER NOT NULL
  );
  CREATE TABLE policy_versions (
    policy_name TEXT NOT NULL REFERENCES policies(name) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (policy_name, version_id)
  );
  CREATE TABLE policy_targets (
    policy_name TEXT NOT NULL REFERENCES policies(name) ON DELETE CASCADE,
    target TEXT NOT NULL,
    PRIMARY KEY (policy_name, target)
  );
  CREATE INDEX policy_targets_by_target ON policy_targets(target);
  CREATE TABLE thing_principals (
    thing_name TEXT NOT NULL REFERENCES things(name) ON DELETE CASCADE,
    principal TEXT NOT NULL,
    PRIMARY KEY (thing_name, principal)
  );
  CREATE INDEX thing_principals_by_principal ON thing_principals(principal);
  CREATE TABLE provisioning_templates (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    template_id TEXT NOT NULL,
    description TEXT,
    enabled INTEGER NOT NULL,
    provisioning_role_arn TEXT NOT NULL,
    pre_provisioning_hook TEXT,
    type TEXT NOT NULL,
    default_version_id INTEGER NOT NULL,
    next_version INTEGER NOT NULL,
    creation_date INTEGER NOT NULL,
    last_modified_date INTEGER NOT NULL
  );
  CREATE TABLE template_versions (
    template_name TEXT NOT NULL REFERENCES provisioning_templates(name) ON DELETE CASCADE,
    version_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    creation_date INTEGER NOT NULL,
    PRIMARY KEY (template_name, version_id)
  );
  CREATE TABLE ownership_tokens (
    token TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE credentials (
    access_key_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    expires_at INTEGER
  );
  `,
  // 2: thing types, thing groups and billing groups, so a template naming one that does not exist
  // is refused (AWS: RegisterThing fails with ResourceNotFoundException) rather than half-applied.
  `
  CREATE TABLE thing_types (
    name TEXT PRIMARY KEY,
    type_id TEXT NOT NULL UNIQUE,
    arn TEXT NOT NULL,
    properties TEXT NOT NULL DEFAULT '{}',
    deprecated INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE thing_groups (
    name TEXT PRIMARY KEY,
    group_id TEXT NOT NULL UNIQUE,
    arn TEXT NOT NULL,
    parent TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE billing_groups (
    name TEXT PRIMARY KEY,
    group_id TEXT NOT NULL UNIQUE,
    arn TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  ALTER TABLE things ADD COLUMN billing_group TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
