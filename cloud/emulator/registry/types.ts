/** Records the registry stores, with AWS IoT's field meanings (camelCase, dates as Date). */

export type CertificateStatus =
  'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export interface ThingRecord {
  thingName: string;
  thingId: string;
  thingArn: string;
  attributes: Record<string, string>;
  thingTypeName?: string;
  thingGroups: string[];
  billingGroupName?: string;
  version: number;
  createdAt: Date;
}

export interface NewThing {
  thingName: string;
  attributes?: Record<string, string>;
  thingTypeName?: string;
  thingGroups?: string[];
  billingGroupName?: string;
}

/** What UpdateThing may change. */
export interface ThingPatch {
  attributes?: Record<string, string>;
  /** Merge the attributes into the current ones (AWS UpdateThing `merge`) instead of replacing them. */
  merge?: boolean;
  thingTypeName?: string | null;
  thingGroups?: string[];
  replaceGroups?: boolean;
  expectedVersion?: number;
}

export interface CertificateRecord {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  status: CertificateStatus;
  /** Account id of the owner. */
  ownedBy: string;
  caCertificateId?: string;
  creationDate: Date;
  lastModifiedDate: Date;
  notBefore: Date;
  notAfter: Date;
  /** A temporary claim from CreateProvisioningClaim: usable only on its template's topics, until claimExpiresAt. */
  isClaim: boolean;
  templateName?: string;
  claimExpiresAt?: Date;
}

/** What decides whether a certificate may be used now: its status, validity and claim expiry. */
export type CertificateUsability = Pick<
  CertificateRecord,
  'status' | 'notBefore' | 'notAfter' | 'isClaim' | 'claimExpiresAt'
>;

export interface NewCertificate {
  certificateId: string;
  certificatePem: string;
  status: CertificateStatus;
  notBefore: Date;
  notAfter: Date;
  caCertificateId?: string;
  isClaim?: boolean;
  templateName?: string;
  claimExpiresAt?: Date;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  isDefaultVersion: boolean;
  createDate: Date;
}

export interface PolicyRecord {
  policyName: string;
  policyArn: string;
  /** The default version's document (JSON text, as AWS returns it). */
  policyDocument: string;
  defaultVersionId: string;
  creationDate: Date;
  lastModifiedDate: Date;
}

export interface PreProvisioningHook {
  /** An http(s) URL, or `file:`/absolute path of a local module exporting a default handler; AWS: a Lambda ARN. */
  targetArn: string;
  payloadVersion?: string;
}

export interface ProvisioningTemplateRecord {
  templateName: string;
  templateArn: string;
  templateId: string;
  description?: string;
  /** Body of the default version. */
  templateBody: string;
  enabled: boolean;
  provisioningRoleArn: string;
  preProvisioningHook?: PreProvisioningHook;
  type: 'FLEET_PROVISIONING' | 'JITP';
  defaultVersionId: number;
  creationDate: Date;
  lastModifiedDate: Date;
}

export interface NewProvisioningTemplate {
  templateName: string;
  templateBody: string;
  description?: string;
  enabled?: boolean;
  provisioningRoleArn: string;
  preProvisioningHook?: PreProvisioningHook;
  type?: 'FLEET_PROVISIONING' | 'JITP';
}

export interface ProvisioningTemplatePatch {
  description?: string;
  enabled?: boolean;
  provisioningRoleArn?: string;
  /** `null` removes the hook (AWS: removePreProvisioningHook). */
  preProvisioningHook?: PreProvisioningHook | null;
  defaultVersionId?: number;
}

export interface TemplateVersionRecord {
  versionId: number;
  templateBody: string;
  creationDate: Date;
  isDefaultVersion: boolean;
}

export type OwnershipTokenResult = { ok: true; certificateId: string } | { ok: false; reason: 'unknown' | 'expired' };
