/**
 * The seam between the two halves of the cloud emulator: the IoT side (SigV4 verification and
 * IAM-style authorization of every control-plane call) and the identity side (the Cognito identity
 * pool, which issues temporary credentials bound to a role's policy). Both read and write credentials
 * through a {@link CredentialStore}; neither reaches into the other's tables.
 */

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '123456789012';

export type PolicyEffect = 'Allow' | 'Deny';

/** An IAM (or AWS IoT) policy statement as AWS writes it; Action/Resource may be one string or many. */
export interface PolicyStatement {
  Sid?: string;
  Effect: PolicyEffect;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** What the control plane needs to verify a SigV4 signature and authorize the call. */
export interface AwsCredentialRecord {
  accessKeyId: string;
  secretAccessKey: string;
  /** Present for temporary credentials; the request's X-Amz-Security-Token must match it. */
  sessionToken?: string;
  /** Temporary credentials stop working at this instant. */
  expiration?: Date;
  /** e.g. arn:aws:iam::123456789012:user/admin or arn:aws:sts::123456789012:assumed-role/Role/CognitoIdentityCredentials */
  principalArn: string;
  /** IAM policies that apply to calls made with these credentials (identity-based, evaluated with explicit Deny winning). */
  policies: PolicyDocument[];
}

export interface CredentialStore {
  put(record: AwsCredentialRecord): void;
  get(accessKeyId: string): AwsCredentialRecord | undefined;
  delete(accessKeyId: string): void;
}
