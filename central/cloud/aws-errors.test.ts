import { describe, expect, it } from 'vitest';
import { awsError } from './aws-errors.js';

describe('awsError', () => {
  it('a request that never reached the service is CLOUD_UNREACHABLE naming that service, not AWS IoT', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4582'), { code: 'ECONNREFUSED' });
    const e = awsError(refused, 'Cognito GetId', {}, 'CLAIM_DENIED');
    expect(e.code).toBe('CLOUD_UNREACHABLE');
    expect(e.message).toContain('Cognito GetId: ECONNREFUSED');
    expect(e.message).not.toContain('AWS IoT');
    expect(e.message).toContain('npx tp-cloud');
  });

  it('a service answer maps by exception name', () => {
    const denied = Object.assign(new Error('nope'), {
      name: 'NotAuthorizedException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(
      awsError(denied, 'Cognito GetId', { NotAuthorizedException: 'LOGIN_REQUIRED' }, 'CLAIM_DENIED'),
    ).toMatchObject({ code: 'LOGIN_REQUIRED' });
  });
});
