import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../contracts/index.js';
import { evaluatePolicies } from './evaluate.js';
import { validatePolicyDocument } from './validate.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

function doc(...Statement: PolicyDocument['Statement'][]): PolicyDocument {
  return { Version: '2012-10-17', Statement: Statement.flat() };
}

describe('evaluatePolicies', () => {
  it('is ImplicitDeny with no policies or no matching statement', () => {
    expect(evaluatePolicies([], { action: 'iot:ListThings', resource: '*' })).toBe('ImplicitDeny');
    const p = doc({ Effect: 'Allow', Action: 'iot:ListThings', Resource: '*' });
    expect(evaluatePolicies([p], { action: 'iot:DescribeThing', resource: `${ARN}:thing/a` })).toBe('ImplicitDeny');
  });

  it('matches actions case-insensitively and resources case-sensitively', () => {
    const p = doc({
      Effect: 'Allow',
      Action: 'IoT:createprovisioningCLAIM',
      Resource: `${ARN}:provisioningtemplate/Tpl`,
    });
    expect(
      evaluatePolicies([p], { action: 'iot:CreateProvisioningClaim', resource: `${ARN}:provisioningtemplate/Tpl` }),
    ).toBe('Allow');
    expect(
      evaluatePolicies([p], { action: 'iot:CreateProvisioningClaim', resource: `${ARN}:provisioningtemplate/tpl` }),
    ).toBe('ImplicitDeny');
  });

  it('supports * and ? wildcards in actions and resources', () => {
    const p = doc({ Effect: 'Allow', Action: ['iot:Describe*', 'iot:List?hings'], Resource: `${ARN}:thing/dev-??` });
    expect(evaluatePolicies([p], { action: 'iot:DescribeThing', resource: `${ARN}:thing/dev-01` })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:ListThings', resource: `${ARN}:thing/dev-ab` })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:DescribeThing', resource: `${ARN}:thing/dev-001` })).toBe(
      'ImplicitDeny',
    );
    expect(evaluatePolicies([p], { action: 'iot:UpdateThing', resource: `${ARN}:thing/dev-01` })).toBe('ImplicitDeny');
    const star = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    expect(evaluatePolicies([star], { action: 'iot:DeleteThing', resource: `${ARN}:thing/x/y` })).toBe('Allow');
  });

  it('treats regex metacharacters in patterns literally', () => {
    const p = doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/a.b+c` });
    expect(evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/a.b+c` })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/aXbbc` })).toBe('ImplicitDeny');
  });

  it('lets an explicit Deny win over any Allow, in any order and across documents', () => {
    const allow = doc({ Effect: 'Allow', Action: 'iot:*', Resource: '*' });
    const deny = doc({ Effect: 'Deny', Action: 'iot:DeleteThing', Resource: `${ARN}:thing/*` });
    expect(evaluatePolicies([allow, deny], { action: 'iot:DeleteThing', resource: `${ARN}:thing/t1` })).toBe(
      'ExplicitDeny',
    );
    expect(evaluatePolicies([deny, allow], { action: 'iot:deletething', resource: `${ARN}:thing/t1` })).toBe(
      'ExplicitDeny',
    );
    expect(evaluatePolicies([deny, allow], { action: 'iot:DescribeThing', resource: `${ARN}:thing/t1` })).toBe('Allow');
  });

  it('supports NotAction and NotResource', () => {
    const p = doc(
      { Effect: 'Allow', NotAction: 'iot:Delete*', Resource: '*' } as never,
      { Effect: 'Deny', Action: 'iot:Publish', NotResource: `${ARN}:topic/ok/*` } as never,
    );
    expect(evaluatePolicies([p], { action: 'iot:DescribeThing', resource: 'x' })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:DeleteThing', resource: 'x' })).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/ok/1` })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/bad` })).toBe('ExplicitDeny');
  });

  it('substitutes policy variables and treats their values literally', () => {
    const p = doc(
      { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}` },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/things/\${iot:ClientId}/*` },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: `${ARN}:topicfilter/u/\${cognito-identity.amazonaws.com:sub}`,
      },
    );
    const vars = {
      'iot:Connection.Thing.ThingName': 'dev1',
      'iot:ClientId': 'c*',
      'cognito-identity.amazonaws.com:sub': 'us-east-1:abc',
    };
    expect(evaluatePolicies([p], { action: 'iot:Connect', resource: `${ARN}:client/dev1`, variables: vars })).toBe(
      'Allow',
    );
    expect(evaluatePolicies([p], { action: 'iot:Connect', resource: `${ARN}:client/dev2`, variables: vars })).toBe(
      'ImplicitDeny',
    );
    expect(
      evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/things/c*/x`, variables: vars }),
    ).toBe('Allow');
    // The value `c*` is not a wildcard.
    expect(
      evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/things/cat/x`, variables: vars }),
    ).toBe('ImplicitDeny');
    expect(
      evaluatePolicies([p], {
        action: 'iot:Subscribe',
        resource: `${ARN}:topicfilter/u/us-east-1:abc`,
        variables: vars,
      }),
    ).toBe('Allow');
  });

  it('does not apply a statement whose variable cannot be resolved', () => {
    const p = doc({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}`,
    });
    expect(evaluatePolicies([p], { action: 'iot:Connect', resource: `${ARN}:client/` })).toBe('ImplicitDeny');
    expect(
      evaluatePolicies([p], { action: 'iot:Connect', resource: `${ARN}:client/\${iot:Connection.Thing.ThingName}` }),
    ).toBe('ImplicitDeny');
  });

  it('supports the literal variables ${*} ${?} ${$}', () => {
    const p = doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}:topic/a\${*}b` });
    expect(evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/a*b` })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:Publish', resource: `${ARN}:topic/axb` })).toBe('ImplicitDeny');
  });

  it('evaluates conditions against the context keys', () => {
    const p = doc(
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        Resource: '*',
        Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
      },
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: '*',
        Condition: {
          StringLike: { 'iot:ClientId': ['dev-*', 'test-?'] },
          StringEquals: { 'aws:PrincipalAccount': '123456789012' },
        },
      },
      {
        Effect: 'Deny',
        Action: 'iot:Publish',
        Resource: '*',
        Condition: { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}-shadow' } },
      },
      {
        Effect: 'Allow',
        Action: 'iot:Subscribe',
        Resource: '*',
        Condition: { StringNotEquals: { 'iot:ClientId': 'blocked' }, NumericLessThanEquals: { 'x:n': '5' } },
      },
      {
        Effect: 'Allow',
        Action: 'iot:Receive',
        Resource: '*',
        Condition: { StringEqualsIfExists: { 'x:missing': 'v' }, Null: { 'x:absent': 'true' } },
      },
    );
    const ctx = (v: Record<string, string>) => ({
      'aws:PrincipalAccount': '123456789012',
      'x:n': '3',
      'iot:Connection.Thing.ThingName': 'dev-1',
      ...v,
    });
    expect(
      evaluatePolicies([p], {
        action: 'iot:Connect',
        resource: 'r',
        variables: ctx({ 'iot:Connection.Thing.IsAttached': 'true' }),
      }),
    ).toBe('Allow');
    expect(
      evaluatePolicies([p], {
        action: 'iot:Connect',
        resource: 'r',
        variables: ctx({ 'iot:Connection.Thing.IsAttached': 'false' }),
      }),
    ).toBe('ImplicitDeny');
    // A missing key makes a positive operator false.
    expect(evaluatePolicies([p], { action: 'iot:Connect', resource: 'r', variables: ctx({}) })).toBe('ImplicitDeny');
    expect(
      evaluatePolicies([p], { action: 'iot:Publish', resource: 'r', variables: ctx({ 'iot:ClientId': 'dev-1' }) }),
    ).toBe('Allow');
    expect(
      evaluatePolicies([p], { action: 'iot:Publish', resource: 'r', variables: ctx({ 'iot:ClientId': 'test-1' }) }),
    ).toBe('Allow');
    expect(
      evaluatePolicies([p], { action: 'iot:Publish', resource: 'r', variables: ctx({ 'iot:ClientId': 'prod-1' }) }),
    ).toBe('ImplicitDeny');
    // Variables in condition values are substituted.
    expect(
      evaluatePolicies([p], {
        action: 'iot:Publish',
        resource: 'r',
        variables: ctx({ 'iot:ClientId': 'dev-1-shadow' }),
      }),
    ).toBe('ExplicitDeny');
    expect(
      evaluatePolicies([p], { action: 'iot:Subscribe', resource: 'r', variables: ctx({ 'iot:ClientId': 'ok' }) }),
    ).toBe('Allow');
    expect(
      evaluatePolicies([p], { action: 'iot:Subscribe', resource: 'r', variables: ctx({ 'iot:ClientId': 'blocked' }) }),
    ).toBe('ImplicitDeny');
    expect(
      evaluatePolicies([p], {
        action: 'iot:Subscribe',
        resource: 'r',
        variables: ctx({ 'iot:ClientId': 'ok', 'x:n': '6' }),
      }),
    ).toBe('ImplicitDeny');
    // A negated operator holds when the key is missing; IfExists holds when the key is missing.
    expect(evaluatePolicies([p], { action: 'iot:Subscribe', resource: 'r', variables: ctx({}) })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'iot:Receive', resource: 'r', variables: ctx({}) })).toBe('Allow');
    expect(
      evaluatePolicies([p], { action: 'iot:Receive', resource: 'r', variables: ctx({ 'x:absent': 'here' }) }),
    ).toBe('ImplicitDeny');
  });

  it('supports the ForAnyValue and ForAllValues qualifiers on single-valued keys', () => {
    const p = doc(
      {
        Effect: 'Allow',
        Action: 'a:Any',
        Resource: '*',
        Condition: { 'ForAnyValue:StringLike': { 'c:amr': 'authenticated' } },
      },
      { Effect: 'Allow', Action: 'a:All', Resource: '*', Condition: { 'ForAllValues:StringEquals': { 'c:tag': 'x' } } },
      { Effect: 'Allow', Action: 'a:Odd', Resource: '*', Condition: { 'Sometimes:StringEquals': { 'c:tag': 'x' } } },
    );
    expect(evaluatePolicies([p], { action: 'a:Any', resource: 'r', variables: { 'c:amr': 'authenticated' } })).toBe(
      'Allow',
    );
    expect(evaluatePolicies([p], { action: 'a:Any', resource: 'r', variables: { 'c:amr': 'unauthenticated' } })).toBe(
      'ImplicitDeny',
    );
    expect(evaluatePolicies([p], { action: 'a:Any', resource: 'r' })).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], { action: 'a:All', resource: 'r' })).toBe('Allow');
    expect(evaluatePolicies([p], { action: 'a:All', resource: 'r', variables: { 'c:tag': 'y' } })).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], { action: 'a:Odd', resource: 'r', variables: { 'c:tag': 'x' } })).toBe('ImplicitDeny');
  });

  it('fails closed on unsupported condition operators', () => {
    const p = doc(
      {
        Effect: 'Allow',
        Action: 'iot:ListThings',
        Resource: '*',
        Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      },
      { Effect: 'Allow', Action: 'iot:DescribeThing', Resource: '*' },
      {
        Effect: 'Deny',
        Action: 'iot:DescribeThing',
        Resource: `${ARN}:thing/secret`,
        Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
      },
    );
    expect(evaluatePolicies([p], { action: 'iot:ListThings', resource: '*' })).toBe('ImplicitDeny');
    expect(evaluatePolicies([p], { action: 'iot:DescribeThing', resource: `${ARN}:thing/secret` })).toBe(
      'ExplicitDeny',
    );
    expect(evaluatePolicies([p], { action: 'iot:DescribeThing', resource: `${ARN}:thing/open` })).toBe('Allow');
  });

  it('accepts a single statement object', () => {
    expect(
      evaluatePolicies([{ Statement: { Effect: 'Allow', Action: 'iot:ListThings', Resource: '*' } }], {
        action: 'iot:ListThings',
        resource: '*',
      }),
    ).toBe('Allow');
  });
});

describe('validatePolicyDocument', () => {
  it('accepts a well-formed document', () => {
    const r = validatePolicyDocument(JSON.stringify(doc({ Effect: 'Allow', Action: ['iot:Connect'], Resource: '*' })));
    expect(r.ok).toBe(true);
  });
  it.each([
    ['not json', '{'],
    ['not an object', '[]'],
    ['no Statement', '{"Version":"2012-10-17"}'],
    ['bad Effect', '{"Statement":[{"Effect":"Maybe","Action":"iot:*","Resource":"*"}]}'],
    ['no Action', '{"Statement":[{"Effect":"Allow","Resource":"*"}]}'],
    ['no Resource', '{"Statement":[{"Effect":"Allow","Action":"iot:*"}]}'],
    ['unknown field', '{"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*","Bogus":1}]}'],
    ['bad Version', '{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}'],
  ])('refuses %s', (_name, text) => {
    expect(validatePolicyDocument(text).ok).toBe(false);
  });
});
