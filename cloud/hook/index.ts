/** The pre-provisioning hook (the product's Lambda): which serials may register, and why not. */
export { createPreProvisioningHook, PROVISIONED_BY_ATTRIBUTE } from './pre-provisioning.js';
