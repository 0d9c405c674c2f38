import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { ProvisioningError } from '../../protocol/index.js';
import { awsError } from './aws-errors.js';

/** Temporary AWS credentials from the identity pool (an assumed role for this user). */
export interface FederatedCredentials {
  identityId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface FederationOptions {
  region: string;
  /** Custom Cognito endpoint (the emulator); absent means AWS's. */
  endpoint?: string;
  identityPoolId: string;
  /** The `Logins` key of the issuer. */
  providerName: string;
  idToken: string;
}

const COGNITO_ERRORS = {
  NotAuthorizedException: 'LOGIN_REQUIRED',
  ResourceNotFoundException: 'CONFIG_INVALID',
  InvalidParameterException: 'CLAIM_DENIED',
  ExternalServiceException: 'LOGIN_FAILED',
} as const;

/**
 * Trades the user's ID token at the Cognito identity pool (GetId + GetCredentialsForIdentity) for
 * temporary AWS credentials, as the seed's phone app does.
 */
export async function federate(options: FederationOptions): Promise<FederatedCredentials> {
  const cognito = new CognitoIdentityClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  const logins = { [options.providerName]: options.idToken };
  try {
    const { IdentityId } = await cognito
      .send(new GetIdCommand({ IdentityPoolId: options.identityPoolId, Logins: logins }))
      .catch((err: unknown) => {
        throw awsError(err, 'Cognito GetId', COGNITO_ERRORS, 'CLAIM_DENIED');
      });
    if (!IdentityId) throw new ProvisioningError('CLAIM_DENIED', { detail: 'Cognito GetId returned no identity' });
    const { Credentials: c } = await cognito
      .send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))
      .catch((err: unknown) => {
        throw awsError(err, 'Cognito GetCredentialsForIdentity', COGNITO_ERRORS, 'CLAIM_DENIED');
      });
    if (!c?.AccessKeyId || !c.SecretKey || !c.SessionToken || !c.Expiration) {
      throw new ProvisioningError('CLAIM_DENIED', { detail: 'Cognito returned incomplete credentials' });
    }
    return {
      identityId: IdentityId,
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  } finally {
    cognito.destroy();
  }
}
