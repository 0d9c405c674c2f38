import { ProvisioningError } from '../../protocol/index.js';

/** CONFIG_INVALID naming the field. `why` describes the rule; it never echoes the (maybe secret) value. */
export function configInvalid(field: string, why: string): never {
  throw new ProvisioningError('CONFIG_INVALID', { detail: `${field}: ${why}` });
}

/** SOFTAP_FAILED with a non-secret detail, keeping the low-level failure as `cause`. */
export function softapFailed(detail: string, cause?: unknown): ProvisioningError {
  return new ProvisioningError('SOFTAP_FAILED', cause === undefined ? { detail } : { detail, cause });
}
