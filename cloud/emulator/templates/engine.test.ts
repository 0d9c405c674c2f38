import { describe, expect, it } from 'vitest';
import { textMatching } from '../../../test/matchers.js';
import { evaluateTemplate, TemplateError, validateTemplate } from './index.js';

const CTX = {
  certificateId: 'c'.repeat(64),
  region: 'us-east-1',
  accountId: '123456789012',
  certificateSubject: { CN: 'dev-cn' },
};

/** The seed's TrustedUserProvisioningTemplate, extended with every intrinsic. */
const TEMPLATE = {
  Parameters: {
    SerialNumber: { Type: 'String' },
    DeviceLocation: { Type: 'String', Default: 'Seattle' },
    Tags: { Type: 'CommaDelimitedList', Default: 'a,b,c' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Mappings: {
    LocationTable: {
      Seattle: { LocationUrl: 'https://example.aws/sea' },
      Berlin: { LocationUrl: 'https://example.aws/ber' },
    },
  },
  Conditions: { InSeattle: { 'Fn::Equals': [{ Ref: 'DeviceLocation' }, 'Seattle'] } },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        ThingName: { 'Fn::Join': ['', ['mything_', { Ref: 'SerialNumber' }]] },
        AttributePayload: {
          version: 'v1',
          serialNumber: { Ref: 'SerialNumber' },
          second: { 'Fn::Select': [1, { Ref: 'Tags' }] },
          part: { 'Fn::Select': [0, { 'Fn::Split': ['-', { Ref: 'SerialNumber' }] }] },
        },
        ThingGroups: ['v1-lightbulbs', { Ref: 'DeviceLocation' }],
        ThingTypeName: { 'Fn::If': ['InSeattle', 'sea-type', 'other-type'] },
      },
      OverrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
    },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'pubsub' } },
    inline: {
      Type: 'AWS::IoT::Policy',
      Properties: {
        PolicyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}',
      },
    },
  },
  DeviceConfiguration: {
    FallbackUrl: 'https://www.example.com/test-site',
    LocationUrl: { 'Fn::FindInMap': ['LocationTable', { Ref: 'DeviceLocation' }, 'LocationUrl'] },
    Greeting: {
      'Fn::Sub': 'hello ${SerialNumber} in ${AWS::Region} (${!Literal}) cert ${AWS::IoT::Certificate::CommonName}',
    },
  },
};

describe('template engine', () => {
  it('evaluates parameters, defaults, mappings, conditions and every intrinsic', () => {
    validateTemplate(JSON.stringify(TEMPLATE));
    const plan = evaluateTemplate(JSON.stringify(TEMPLATE), { SerialNumber: '123-45' }, CTX);
    expect(plan.things).toEqual([
      {
        logicalId: 'thing',
        thingName: 'mything_123-45',
        attributes: { version: 'v1', serialNumber: '123-45', second: 'b', part: '123' },
        thingGroups: ['v1-lightbulbs', 'Seattle'],
        thingTypeName: 'sea-type',
        overrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
      },
    ]);
    expect(plan.certificates).toEqual([
      { logicalId: 'certificate', certificateId: CTX.certificateId, status: 'ACTIVE' },
    ]);
    expect(plan.policies.map((p) => p.policyName ?? 'inline')).toEqual(['pubsub', 'inline']);
    expect(plan.deviceConfiguration).toEqual({
      FallbackUrl: 'https://www.example.com/test-site',
      LocationUrl: 'https://example.aws/sea',
      Greeting: 'hello 123-45 in us-east-1 (${Literal}) cert dev-cn',
    });
    expect(plan.parameters).toEqual({ SerialNumber: '123-45', DeviceLocation: 'Seattle', Tags: 'a,b,c' });
    const berlin = evaluateTemplate(JSON.stringify(TEMPLATE), { SerialNumber: '9', DeviceLocation: 'Berlin' }, CTX);
    expect(berlin.things[0]?.thingTypeName).toBe('other-type');
    expect(berlin.deviceConfiguration.LocationUrl).toBe('https://example.aws/ber');
  });

  it('rejects a missing parameter and an invalid thing name at RegisterThing time', () => {
    const err = (() => {
      try {
        evaluateTemplate(JSON.stringify(TEMPLATE), {}, CTX);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TemplateError);
    expect(err).toMatchObject({ code: 'InvalidParameters', message: 'Missing value for parameter SerialNumber' });
    expect(() => evaluateTemplate(JSON.stringify(TEMPLATE), { SerialNumber: 'has space' }, CTX)).toThrow(
      expect.objectContaining({ code: 'InvalidParameters' }),
    );
  });

  const broken: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not valid JSON/],
    ['no resources', { Parameters: {} }, /Resources must be a non-empty object/],
    [
      'unknown section',
      { Resources: { c: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: 'x' } } }, Outputs: {} },
      /unknown top-level section Outputs/,
    ],
    ['unknown type', { Resources: { r: { Type: 'AWS::S3::Bucket' } } }, /Type must be one of/],
    [
      'bad parameter type',
      {
        Parameters: { P: { Type: 'Str' } },
        Resources: { c: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: 'x' } } },
      },
      /Parameters.P.Type/,
    ],
    [
      'dangling Ref',
      { Resources: { t: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Nope' } } } } },
      /unresolved reference Nope/,
    ],
    [
      'unknown mapping',
      {
        Resources: { t: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { 'Fn::FindInMap': ['M', 'a', 'b'] } } } },
      },
      /mapping M is not defined/,
    ],
    [
      'bad Join',
      { Resources: { t: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { 'Fn::Join': ['-'] } } } } },
      /Fn::Join takes/,
    ],
    [
      'policy with both',
      { Resources: { p: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'a', PolicyDocument: '{}' } } } },
      /exactly one of PolicyName and PolicyDocument/,
    ],
    [
      'bad inline policy',
      { Resources: { p: { Type: 'AWS::IoT::Policy', Properties: { PolicyDocument: 'nope' } } } },
      /not a valid policy document/,
    ],
    [
      'bad override',
      {
        Resources: {
          t: { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'a' }, OverrideSettings: { ThingTypeName: 'MERGE' } },
        },
      },
      /OverrideSettings.ThingTypeName must be one of/,
    ],
    [
      'two things',
      {
        Resources: {
          a: { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'a' } },
          b: { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'b' } },
        },
      },
      /at most one AWS::IoT::Thing/,
    ],
    [
      'cert without id',
      { Resources: { c: { Type: 'AWS::IoT::Certificate', Properties: { Status: 'ACTIVE' } } } },
      /CertificateId is required/,
    ],
    [
      'unknown certificate status',
      { Resources: { c: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: 'x', Status: 'Revoked' } } } },
      /Status must be ACTIVE or INACTIVE/,
    ],
    [
      'undefined condition',
      { Resources: { t: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { 'Fn::If': ['C', 'a', 'b'] } } } } },
      /condition C is not defined/,
    ],
  ];
  for (const [name, body, message] of broken) {
    it(`refuses at create time: ${name}`, () => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      expect(() => validateTemplate(text)).toThrow(
        expect.objectContaining({ code: 'InvalidRequestException', message: textMatching(message) }),
      );
    });
  }

  it('accepts "Status": "Active" as AWS\'s own examples spell it, and reports ACTIVE', () => {
    const body = JSON.stringify({
      Parameters: { 'AWS::IoT::Certificate::Id': { Type: 'String' } },
      Resources: {
        certificate: {
          Type: 'AWS::IoT::Certificate',
          Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'Active' },
        },
      },
    });
    validateTemplate(body);
    expect(evaluateTemplate(body, {}, CTX).certificates.map((c) => c.status)).toEqual(['ACTIVE']);
    expect(evaluateTemplate(body.replace('"Active"', '"inactive"'), {}, CTX).certificates.map((c) => c.status)).toEqual(
      ['INACTIVE'],
    );
  });
});
