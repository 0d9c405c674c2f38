/** The shapes of a fleet-provisioning template (AWS IoT "Provisioning templates") and of its evaluation. */

export const RESOURCE_TYPES = ['AWS::IoT::Thing', 'AWS::IoT::Certificate', 'AWS::IoT::Policy'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const TOP_LEVEL_KEYS = [
  'Parameters',
  'Mappings',
  'Conditions',
  'Resources',
  'DeviceConfiguration',
  'Description',
  'AWSTemplateFormatVersion',
] as const;

/** Parameter types accepted (the CloudFormation subset AWS IoT documents). */
export const PARAMETER_TYPES = ['String', 'Number', 'CommaDelimitedList', 'List<Number>'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export type OverrideAction = 'MERGE' | 'REPLACE' | 'DO_NOTHING' | 'FAIL';

/** The automatic parameter holding the id of the certificate being registered. */
export const CERTIFICATE_ID_PARAMETER = 'AWS::IoT::Certificate::Id';

/**
 * Certificate-subject pseudo parameters AWS fills from the certificate being registered
 * (documented for JITP; harmless and useful for fleet provisioning with a CSR subject).
 */
export const SUBJECT_PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::IoT::Certificate::CommonName': 'CN',
  'AWS::IoT::Certificate::Country': 'C',
  'AWS::IoT::Certificate::Organization': 'O',
  'AWS::IoT::Certificate::OrganizationalUnit': 'OU',
  'AWS::IoT::Certificate::DistinguishedNameQualifier': 'dnQualifier',
  'AWS::IoT::Certificate::StateName': 'ST',
  'AWS::IoT::Certificate::Locality': 'L',
  'AWS::IoT::Certificate::Title': 'title',
  'AWS::IoT::Certificate::Surname': 'SN',
  'AWS::IoT::Certificate::GivenName': 'GN',
  'AWS::IoT::Certificate::Initials': 'initials',
  'AWS::IoT::Certificate::Pseudonym': 'pseudonym',
  'AWS::IoT::Certificate::GenerationQualifier': 'generationQualifier',
  'AWS::IoT::Certificate::SerialNumber': 'serialNumber',
};

/** Other pseudo parameters resolvable by Ref. */
export const ACCOUNT_PSEUDO_PARAMETERS = ['AWS::Region', 'AWS::AccountId', 'AWS::Partition'] as const;

export interface EvaluationContext {
  /** Id of the certificate being registered (AWS::IoT::Certificate::Id). */
  certificateId: string;
  /** Subject attributes of that certificate by short name (CN, O, ...), when known. */
  certificateSubject?: Record<string, string>;
  region: string;
  accountId: string;
}

export interface PlannedThing {
  logicalId: string;
  thingName: string;
  attributes?: Record<string, string>;
  thingTypeName?: string;
  thingGroups?: string[];
  /** `BillingGroup`: must exist, as the thing type and the groups must. */
  billingGroup?: string;
  /** What to do when the thing exists already, per property. */
  overrideSettings: { AttributePayload?: OverrideAction; ThingTypeName?: OverrideAction; ThingGroups?: OverrideAction };
}

export interface PlannedCertificate {
  logicalId: string;
  certificateId: string;
  status: 'ACTIVE' | 'INACTIVE';
}

export interface PlannedPolicy {
  logicalId: string;
  /** An existing policy to attach... */
  policyName?: string;
  /** ...or an inline document (JSON text) the emulator creates a policy for. */
  policyDocument?: string;
}

export interface TemplatePlan {
  things: PlannedThing[];
  certificates: PlannedCertificate[];
  policies: PlannedPolicy[];
  deviceConfiguration: Record<string, string>;
  /** The parameters after defaults and overrides were applied. */
  parameters: Record<string, string>;
}
