/** IAM authorization of a control-plane call with the caller's identity-based policies. */
import type { AwsCredentialRecord } from '../contracts/index.js';
import { evaluatePolicies } from '../policy/index.js';
import { accessDenied } from './contract/index.js';
import type { Permission } from './contract/index.js';

/** IAM policy variables / condition keys known for a caller. */
function variablesOf(credential: AwsCredentialRecord, accountId: string): Record<string, string> {
  const vars: Record<string, string> = {
    'aws:PrincipalArn': credential.principalArn,
    'aws:PrincipalAccount': accountId,
    // The emulator's control plane is plain HTTP on loopback.
    'aws:SecureTransport': 'false',
  };
  const user = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/u.exec(credential.principalArn);
  if (user?.[1] !== undefined) vars['aws:username'] = user[1];
  return vars;
}

/** Throws AccessDeniedException naming the first permission the caller's policies do not allow. */
export function authorize(
  credential: AwsCredentialRecord,
  permissions: readonly Permission[],
  accountId: string,
): void {
  const variables = variablesOf(credential, accountId);
  for (const p of permissions) {
    if (evaluatePolicies(credential.policies, { action: p.action, resource: p.resource, variables }) !== 'Allow') {
      throw accessDenied(credential.principalArn, p.action, p.resource);
    }
  }
}
