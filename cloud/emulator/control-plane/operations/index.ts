import type { Operation } from '../operation.js';
import { describeCertificate, listCertificates, updateCertificate } from './certificates.js';
import { describeEndpoint } from './endpoint.js';
import { attachPolicy, createPolicy, detachPolicy, getPolicy, listAttachedPolicies, listPolicies } from './policies.js';
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
  createPolicy,
  getPolicy,
  listPolicies,
  attachPolicy,
  detachPolicy,
  listAttachedPolicies,
  describeThing,
  listThings,
  deleteThing,
  createThing,
  updateThing,
  listThingPrincipals,
  detachThingPrincipal,
  describeCertificate,
  listCertificates,
  updateCertificate,
  describeEndpoint,
];
