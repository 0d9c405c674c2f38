export {
  OPERATION_TIMEOUT_SECONDS,
  provisionWithClaim,
  SERIAL_NUMBER_PARAMETER,
  serviceErrorToProvisioning,
  VERIFY_RETRY_WINDOW_MS,
} from './provision.js';
export type { FleetStep, ProvisionResult, ProvisionWithClaimOptions } from './provision.js';
export { assertClaimUsable, CLAIM_EXPIRY_MARGIN_MS, claimValidity } from './claim.js';
export type { Claim, ClaimValidity } from './claim.js';
export { finishCommit } from './commit.js';
export { generateKeyAndCsr } from './csr.js';
export type { DeviceKeyAndCsr, KeyAlgorithm } from './csr.js';
export { CONNECT_TIMEOUT_MS, KEEP_ALIVE_SECONDS } from './mqtt-connection.js';
export type { MqttEndpoint } from './mqtt-connection.js';
export { OWNERSHIP_TOKEN_LIFETIME_MS, OWNERSHIP_TOKEN_MARGIN_MS, planResume } from './resume.js';
export type { ResumeInput, ResumePlan } from './resume.js';
export { backoffDelay, RETRY_INITIAL_DELAY_MS, RETRY_MAX_ATTEMPTS, RETRY_MAX_DELAY_MS, withRetry } from './retry.js';
export { VERIFY_TIMEOUT_MS } from './verify.js';
