/** Federation and claim for the phone side: see central/README.md, "Claim". */
export { requestClaim } from './claim.js';
export { claimMessage } from './claim-message.js';
export type { ClaimRequestOptions, ProvisioningClaim } from './claim.js';
export { CLAIM_MIN_REMAINING_MS, CloudSession, CREDENTIALS_MIN_REMAINING_MS } from './cloud-session.js';
export type { CloudSessionOptions } from './cloud-session.js';
export { federate } from './federation.js';
export type { FederatedCredentials, FederationOptions } from './federation.js';
