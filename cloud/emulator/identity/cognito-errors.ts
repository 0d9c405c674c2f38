/**
 * Cognito Identity's error shapes, as awsJson1_1 services send them and AWS SDK v3 parses them:
 * HTTP 400, `x-amzn-ErrorType: <Name>:<namespace>/`, body `{"__type": "<Name>", "message": "…"}`.
 */
export type CognitoErrorType =
  | 'NotAuthorizedException'
  | 'ResourceNotFoundException'
  | 'InvalidParameterException'
  | 'ExternalServiceException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'InternalErrorException'
  | 'LimitExceededException';

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazonaws.cognito.identity.model/';

export class CognitoError extends Error {
  constructor(
    readonly type: CognitoErrorType,
    message: string,
    readonly status: number = type === 'InternalErrorException' ? 500 : 400,
  ) {
    super(message);
    this.name = type;
  }

  headers(): Record<string, string> {
    return { 'x-amzn-ErrorType': `${this.type}:${ERROR_NAMESPACE}` };
  }

  body(): { __type: string; message: string } {
    return { __type: this.type, message: this.message };
  }
}

/** Cognito's own wording, so that scripts matching on it behave the same against the emulator. */
export const MESSAGES = {
  badSignature: "Invalid login token. Couldn't verify signed token.",
  issuerMismatch: "Invalid login token. Issuer doesn't match providerName",
  audience: 'Invalid login token. Incorrect token audience.',
  malformed: 'Invalid login token. Not a valid OpenId Connect identity token.',
  expired: (exp: number, now: number) => `Invalid login token. Token expired: ${now} >= ${exp}`,
  unsupportedProvider: 'Token is not from a supported provider of this identity pool.',
  unauthenticated: 'Unauthenticated access is not supported for this identity pool.',
  loginsMismatch: "Logins don't match. Please include at least one valid login for this identity or identity pool.",
  poolNotFound: (id: string) => `IdentityPool '${id}' not found.`,
  identityNotFound: (id: string) => `Identity '${id}' not found.`,
} as const;
