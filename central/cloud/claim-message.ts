import type { ClaimMessage } from '../../protocol/index.js';
import type { CentralConfig } from '../config/index.js';
import type { ProvisioningClaim } from './claim.js';

/**
 * The sealed `claim` message for a device: the claim, where to use it (the data endpoint and, for
 * the emulator, its CA) and the template parameters the phone chooses (e.g. DeviceLocation; the
 * device adds its own SerialNumber).
 */
export function claimMessage(
  claim: ProvisioningClaim,
  config: CentralConfig,
  parameters: Readonly<Record<string, string>> = {},
): ClaimMessage {
  return {
    type: 'claim',
    certificatePem: claim.certificatePem,
    privateKeyPem: claim.privateKeyPem,
    ...(config.iot.caPem ? { caPem: config.iot.caPem } : {}),
    host: config.iot.dataEndpoint,
    port: config.iot.mqttPort,
    templateName: config.iot.provisioningTemplateName,
    parameters: { ...parameters },
    expiresAt: Math.floor(claim.expiresAt.getTime() / 1000),
  };
}
