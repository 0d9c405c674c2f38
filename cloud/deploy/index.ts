/** What deploying the pre-provisioning hook needs, for setup (real AWS) and the emulator alike: its documents and the stored zip. */
export { readStoredZip, writeStoredZip } from './zip.js';
export {
  HOOK_FUNCTION_NAME,
  HOOK_ROLE_NAME,
  hookFunctionArn,
  hookRolePolicy,
  AUTHENTICATED_ROLE_NAME,
  authenticatedRolePermissions,
  authenticatedRoleTrustPolicy,
  DEVICE_POLICY_NAME,
  PROVISIONING_ROLE_NAME,
  provisioningRoleTrustPolicy,
  TEMPLATE_NAME,
  hookRoleTrustPolicy,
  canonicalJson,
  devicePolicyDocument,
  HOOK_PAYLOAD_VERSION,
  provisioningTemplateBody,
} from './documents.js';
export type { AccountRef } from './documents.js';
