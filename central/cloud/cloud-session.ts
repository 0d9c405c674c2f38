import type { CentralConfig } from '../config/index.js';
import { requestClaim } from './claim.js';
import type { ProvisioningClaim } from './claim.js';
import { federate } from './federation.js';
import type { FederatedCredentials } from './federation.js';
import type { Clock } from '../../protocol/index.js';

/**
 * A claim with less than this left is replaced before it is handed to a device: the device still
 * has to join Wi-Fi and connect to AWS IoT with it (PROTOCOL.md, claim message).
 */
export const CLAIM_MIN_REMAINING_MS = 60_000;
/** Federated credentials with less than this left are renewed before a call. */
export const CREDENTIALS_MIN_REMAINING_MS = 5 * 60_000;

export interface CloudSessionOptions {
  config: CentralConfig;
  /** The current ID token (refreshed by the caller's Auth when near expiry). */
  idToken: () => Promise<string>;
  /** Milliseconds since the epoch; tests move it. */
  now?: Clock;
  /** Seams for tests; default the real AWS calls. */
  federate?: typeof federate;
  requestClaim?: typeof requestClaim;
}

/**
 * The phone's cloud side: federated credentials and the current claim, each reused while it has
 * enough life left and replaced before use otherwise. Concurrent callers (a batch) share one
 * request in flight.
 */
export class CloudSession {
  private readonly now: Clock;
  private credentials: FederatedCredentials | undefined;
  private current: ProvisioningClaim | undefined;
  private pendingClaim: Promise<ProvisioningClaim> | undefined;
  private pendingCredentials: Promise<FederatedCredentials> | undefined;
  /** Claims fetched so far (for the summary and tests). */
  claimsIssued = 0;

  constructor(private readonly options: CloudSessionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether `claim` can still be handed to a device (at least {@link CLAIM_MIN_REMAINING_MS} left). */
  isFresh(claim: ProvisioningClaim): boolean {
    return claim.expiresAt.getTime() - this.now() >= CLAIM_MIN_REMAINING_MS;
  }

  /** A claim with at least {@link CLAIM_MIN_REMAINING_MS} left: the current one or a new one. */
  async claim(): Promise<ProvisioningClaim> {
    if (this.current && this.isFresh(this.current)) return this.current;
    this.pendingClaim ??= this.fetchClaim().finally(() => {
      this.pendingClaim = undefined;
    });
    return this.pendingClaim;
  }

  /** Temporary AWS credentials with at least {@link CREDENTIALS_MIN_REMAINING_MS} left. */
  async awsCredentials(): Promise<FederatedCredentials> {
    if (this.credentials && this.credentials.expiration.getTime() - this.now() >= CREDENTIALS_MIN_REMAINING_MS)
      return this.credentials;
    this.pendingCredentials ??= this.fetchCredentials().finally(() => {
      this.pendingCredentials = undefined;
    });
    return this.pendingCredentials;
  }

  private async fetchCredentials(): Promise<FederatedCredentials> {
    const { config } = this.options;
    const credentials = await (this.options.federate ?? federate)({
      region: config.region,
      ...(config.cognito.endpoint ? { endpoint: config.cognito.endpoint } : {}),
      identityPoolId: config.cognito.identityPoolId,
      providerName: config.cognito.providerName,
      idToken: await this.options.idToken(),
    });
    this.credentials = credentials;
    return credentials;
  }

  private async fetchClaim(): Promise<ProvisioningClaim> {
    const { config } = this.options;
    const claim = await (this.options.requestClaim ?? requestClaim)({
      region: config.region,
      ...(config.iot.controlPlaneEndpoint ? { endpoint: config.iot.controlPlaneEndpoint } : {}),
      templateName: config.iot.provisioningTemplateName,
      credentials: await this.awsCredentials(),
    });
    this.current = claim;
    this.claimsIssued += 1;
    return claim;
  }
}
