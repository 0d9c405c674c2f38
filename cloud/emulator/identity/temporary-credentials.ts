import { randomBytes } from 'node:crypto';
import type { AwsCredentialRecord, PolicyDocument } from '../contracts/index.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** STS session tokens are opaque and long; 192 random bytes is in the range AWS issues. */
export const SESSION_TOKEN_BYTES = 192;

/** Temporary credentials as STS shapes them: `ASIA` + 16 base32 characters, a 40-character secret. */
export function mintTemporaryCredentials(input: {
  accountId: string;
  roleArn: string;
  policies: PolicyDocument[];
  expiration: Date;
  sessionName?: string;
}): AwsCredentialRecord {
  const id = [...randomBytes(16)].map((b) => BASE32[b % 32]).join('');
  const roleName = input.roleArn.slice(input.roleArn.lastIndexOf('/') + 1);
  return {
    accessKeyId: `ASIA${id}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(SESSION_TOKEN_BYTES).toString('base64'),
    expiration: input.expiration,
    principalArn: `arn:aws:sts::${input.accountId}:assumed-role/${roleName}/${input.sessionName ?? 'CognitoIdentityCredentials'}`,
    policies: input.policies,
  };
}
