/**
 * The agent's seam to the fleet-provisioning routine (peripheral/fleet): a function that runs one
 * job's cloud part. The default wraps `provisionWithClaim` with the device's own settings (serial
 * number, trust store, verification topic); tests may inject a runner that fails on purpose.
 */
import { ProvisioningError } from '../../protocol/index.js';
import type { Clock } from '../../protocol/index.js';
import type { KeyAlgorithm, FleetStep, ProvisionResult, ProvisionWithClaimOptions } from '../fleet/index.js';
import { provisionWithClaim } from '../fleet/index.js';
import type { CredentialStore, ProvisioningJournal } from '../storage/index.js';
import type { JobClaim } from './job.js';

export interface FleetRun {
  readonly claim: JobClaim;
  readonly onStep: (step: FleetStep, info: Record<string, string>) => void;
  readonly signal: AbortSignal;
}

export type FleetRunner = (run: FleetRun) => Promise<ProvisionResult>;

/** Verification topic under the device policy of cloud/setup (`things/<thingName>/*`). */
export const DEFAULT_VERIFY_TOPIC = (thingName: string): string => `things/${thingName}/provisioned`;

/** The thing name cloud/setup's template gives a serial (`mything_<SerialNumber>`, documents.ts). */
export const DEFAULT_THING_NAME = (serialNumber: string): string => `mything_${serialNumber}`;

export interface ClaimFleetRunnerOptions {
  readonly store: CredentialStore;
  readonly journal: ProvisioningJournal;
  /** The device's own serial number (the template's SerialNumber; the phone cannot override it). */
  readonly serialNumber: string;
  /** Trust store for the endpoint when the claim carries no CA (Amazon Root CA 1, or the emulator's CA). */
  readonly caPem?: string;
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly verifyTopic?: (thingName: string) => string;
  /** The template's thing name for the serial (default {@link DEFAULT_THING_NAME}). */
  readonly thingNameFor?: (serialNumber: string) => string;
  readonly clock?: Clock;
  readonly retry?: ProvisionWithClaimOptions['retry'];
  readonly connectTimeoutMs?: number;
}

export function claimFleetRunner(options: ClaimFleetRunnerOptions): FleetRunner {
  return async ({ claim, onStep, signal }) => {
    const caPem = claim.caPem ?? options.caPem;
    if (caPem === undefined)
      throw new ProvisioningError('CONFIG_INVALID', {
        detail: 'no CA for the AWS IoT endpoint: the claim has none and the device configuration sets no caPath',
      });
    return provisionWithClaim({
      endpoint: { host: claim.host, port: claim.port },
      caPem,
      claim: { certificatePem: claim.certificatePem, privateKeyPem: claim.privateKeyPem, expiresAt: claim.expiresAt },
      templateName: claim.templateName,
      parameters: { ...claim.parameters },
      serialNumber: options.serialNumber,
      thingNameFor: options.thingNameFor ?? DEFAULT_THING_NAME,
      mode: claim.certificateMode === 'keys' ? 'create-keys' : 'csr',
      clientId: `claim-${options.serialNumber}`,
      verify: { topic: options.verifyTopic ?? DEFAULT_VERIFY_TOPIC },
      store: options.store,
      journal: options.journal,
      onStep,
      signal,
      ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    });
  };
}
