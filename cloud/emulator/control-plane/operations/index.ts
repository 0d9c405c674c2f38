import type { Operation } from '../contract/index.js';
import {
  createKeysAndCertificate,
  deleteCertificate,
  describeCertificate,
  listCertificates,
  updateCertificate,
} from './certificates.js';
import { describeEndpoint } from './endpoint.js';
import { createBillingGroup, createThingGroup, createThingType, describeThingType, listThingGroups } from './groups.js';
import {
  attachPolicy,
  createPolicy,
  createPolicyVersion,
  deletePolicy,
  deletePolicyVersion,
  detachPolicy,
  getPolicy,
  listAttachedPolicies,
  listPolicies,
  listPolicyVersions,
  listPrincipalPolicies,
  listTargetsForPolicy,
} from './policies.js';
import {
  createProvisioningTemplateVersion,
  deleteProvisioningTemplateVersion,
  describeProvisioningTemplateVersion,
  listProvisioningTemplateVersions,
} from './template-versions.js';
import { attachThingPrincipal, listPrincipalThings } from './thing-principals.js';
import {
  createProvisioningClaim,
  createProvisioningTemplate,
  deleteProvisioningTemplate,
  describeProvisioningTemplate,
  listProvisioningTemplates,
  updateProvisioningTemplate,
} from './templates.js';
import { deleteThing, describeThing, listThings } from './things.js';
import { createThing, detachThingPrincipal, listThingPrincipals, updateThing } from './thing-registration.js';

/** Every operation the control plane serves. */
export const OPERATIONS: readonly Operation[] = [
  createProvisioningClaim,
  createProvisioningTemplate,
  describeProvisioningTemplate,
  listProvisioningTemplates,
  updateProvisioningTemplate,
  deleteProvisioningTemplate,
  createProvisioningTemplateVersion,
  describeProvisioningTemplateVersion,
  listProvisioningTemplateVersions,
  deleteProvisioningTemplateVersion,
  createPolicy,
  createPolicyVersion,
  listPolicyVersions,
  deletePolicyVersion,
  getPolicy,
  listPolicies,
  attachPolicy,
  detachPolicy,
  listAttachedPolicies,
  deletePolicy,
  listTargetsForPolicy,
  listPrincipalPolicies,
  describeThing,
  listThings,
  deleteThing,
  createThing,
  updateThing,
  listThingPrincipals,
  detachThingPrincipal,
  attachThingPrincipal,
  listPrincipalThings,
  createThingType,
  describeThingType,
  createThingGroup,
  listThingGroups,
  createBillingGroup,
  createKeysAndCertificate,
  describeCertificate,
  listCertificates,
  updateCertificate,
  deleteCertificate,
  describeEndpoint,
];
export { CLAIM_VALIDITY_MS } from './templates.js';
