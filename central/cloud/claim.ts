import { CreateProvisioningClaimCommand, IoTClient } from '@aws-sdk/client-iot';
import { ProvisioningError } from '../../protocol/index.js';
import { awsError } from './aws-errors.js';
import type { FederatedCredentials } from './federation.js';

/** A fleet-provisioning claim: certificate and private key, valid for a few minutes. */
export interface ProvisioningClaim {
  certificateId: string;
  certificatePem: string;
  /** Secret: goes only into the sealed `claim` message, never into logs. */
  privateKeyPem: string;
  expiresAt: Date;
}

export interface ClaimRequestOptions {
  region: string;
  /** Custom control-plane endpoint (the emulator); absent means AWS's. */
  endpoint?: string;
  templateName: string;
  credentials: FederatedCredentials;
}

const IOT_ERRORS = {
  AccessDeniedException: 'CLAIM_DENIED',
  UnauthorizedException: 'CLAIM_DENIED',
  ForbiddenException: 'CLAIM_DENIED',
  ExpiredTokenException: 'LOGIN_REQUIRED',
  ResourceNotFoundException: 'CONFIG_INVALID',
  ServiceUnavailableException: 'CLOUD_UNREACHABLE',
  ThrottlingException: 'CLOUD_UNREACHABLE',
} as const;

/** CreateProvisioningClaim for the template, signed with the federated credentials. */
export async function requestClaim(options: ClaimRequestOptions): Promise<ProvisioningClaim> {
  const { credentials: c } = options;
  const iot = new IoTClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      expiration: c.expiration,
    },
  });
  try {
    const out = await iot
      .send(new CreateProvisioningClaimCommand({ templateName: options.templateName }))
      .catch((err: unknown) => {
        throw awsError(err, `CreateProvisioningClaim for ${options.templateName}`, IOT_ERRORS, 'CLAIM_DENIED');
      });
    if (!out.certificateId || !out.certificatePem || !out.keyPair?.PrivateKey || !out.expiration) {
      throw new ProvisioningError('CLAIM_INVALID', { detail: 'CreateProvisioningClaim returned an incomplete claim' });
    }
    return {
      certificateId: out.certificateId,
      certificatePem: out.certificatePem,
      privateKeyPem: out.keyPair.PrivateKey,
      expiresAt: out.expiration,
    };
  } finally {
    iot.destroy();
  }
}
