/**
 * The emulator's registry: things, certificates, policies, provisioning templates, certificate
 * ownership tokens, thing types and groups, and AWS credentials, in one SQLite file (better-sqlite3,
 * WAL). One repository per record kind (`registry.things`, `.certificates`, `.policies`,
 * `.templates`, `.ownershipTokens`, `.groups`, `.credentials`); every method is synchronous and
 * atomic, and {@link Registry.transaction} groups calls to any of them into one SQLite transaction
 * (each RegisterThing is applied that way, so a failure leaves nothing behind).
 */
import type { CredentialStore } from '../contracts/index.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from '../contracts/index.js';
import { CertificateRepository } from './certificates.js';
import { SqliteCredentialStore } from './credentials.js';
import { GroupDirectory } from './groups.js';
import { OwnershipTokenRepository } from './ownership-tokens.js';
import { PolicyRepository } from './policies.js';
import { ProvisioningTemplateRepository } from './provisioning-templates.js';
import type { ArnKind } from './store.js';
import { RegistryStore } from './store.js';
import { ThingRepository } from './things.js';

export * from './types.js';
export * from './errors.js';
export type { GroupRecord, ThingTypeRecord, GroupDirectory } from './groups.js';
export type { CertificateRepository } from './certificates.js';
export type { OwnershipTokenRepository } from './ownership-tokens.js';
export type { PolicyRepository } from './policies.js';
export type { ProvisioningTemplateRepository } from './provisioning-templates.js';
export type { ThingRepository } from './things.js';
export type { ArnKind } from './store.js';
export { SCHEMA_VERSION } from './schema.js';
export { BUSY_TIMEOUT_MS } from './store.js';
export { OWNERSHIP_TOKEN_TTL_MS } from './ownership-tokens.js';
export { MAX_POLICY_VERSIONS } from './policies.js';
export { MAX_TEMPLATE_VERSIONS } from './provisioning-templates.js';

export interface RegistryOptions {
  region?: string;
  accountId?: string;
  /** Injected clock (tests move it to expire claims and tokens). */
  now?: () => Date;
}

export class Registry {
  /** Things and their principal attachments. */
  readonly things: ThingRepository;
  readonly certificates: CertificateRepository;
  /** Policies, their versions and their attachments to targets. */
  readonly policies: PolicyRepository;
  /** Fleet-provisioning templates and their versions. */
  readonly templates: ProvisioningTemplateRepository;
  readonly ownershipTokens: OwnershipTokenRepository;
  /** Thing types, thing groups and billing groups. */
  readonly groups: GroupDirectory;
  readonly credentials: CredentialStore;

  private constructor(private readonly store: RegistryStore) {
    this.things = new ThingRepository(store);
    this.policies = new PolicyRepository(store);
    this.certificates = new CertificateRepository(store, this.things, this.policies);
    this.templates = new ProvisioningTemplateRepository(store);
    this.ownershipTokens = new OwnershipTokenRepository(store, this.certificates);
    this.groups = new GroupDirectory(store);
    this.credentials = new SqliteCredentialStore(store);
  }

  /** Opens (creating if needed) the registry file at `path`, applying pending migrations. */
  static open(path: string, options: RegistryOptions = {}): Registry {
    return new Registry(
      RegistryStore.open(
        path,
        options.region ?? DEFAULT_REGION,
        options.accountId ?? DEFAULT_ACCOUNT_ID,
        options.now ?? (() => new Date()),
      ),
    );
  }

  get region(): string {
    return this.store.region;
  }

  get accountId(): string {
    return this.store.accountId;
  }

  get schemaVersion(): number {
    return this.store.schemaVersion;
  }

  /**
   * Runs `fn` in one SQLite transaction (IMMEDIATE) over every repository; any throw rolls
   * everything back.
   */
  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }

  arn(kind: ArnKind, name: string): string {
    return this.store.arn(kind, name);
  }

  close(): void {
    this.store.close();
  }
}
