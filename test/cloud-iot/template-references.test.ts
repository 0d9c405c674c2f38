/**
 * RegisterThing with a template naming a thing type, thing groups or a billing group: each must
 * exist, or the request is rejected with nothing applied (no thing, certificate still pending).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textContaining } from '../matchers.js';
import { request, startIotFixture } from './fixture.js';
import type { IotFixture } from './fixture.js';

/** Written as the console and the CLI's example write it: `"Status": "Active"`. */
function templateNaming(props: Record<string, unknown>): string {
  return JSON.stringify({
    Parameters: { SerialNumber: { Type: 'String' }, 'AWS::IoT::Certificate::Id': { Type: 'String' } },
    Resources: {
      thing: {
        Type: 'AWS::IoT::Thing',
        Properties: { ThingName: { 'Fn::Join': ['', ['mything_', { Ref: 'SerialNumber' }]] }, ...props },
      },
      certificate: {
        Type: 'AWS::IoT::Certificate',
        Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'Active' },
      },
      policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'pubsub' } },
    },
  });
}

describe('templates naming thing types and groups', () => {
  let fx: IotFixture;
  beforeAll(async () => {
    fx = await startIotFixture();
    fx.registry.templates.create({
      templateName: 'Grouped',
      templateBody: templateNaming({ ThingTypeName: 'sensor', ThingGroups: ['home', 'kitchen'], BillingGroup: 'b1' }),
      enabled: true,
      provisioningRoleArn: 'arn:aws:iam::123456789012:role/IoTProvisioningRole',
    });
  });
  afterAll(async () => fx.close());

  async function register(
    serial: string,
  ): Promise<{ outcome: string; body: Record<string, unknown>; certificateId: string }> {
    const claim = await fx.newClaim('Grouped');
    const c = await fx.connect(claim, { clientId: `claim-${serial}` });
    const created = await request(c, '$aws/certificates/create/json', '{}');
    const cert = JSON.parse(created.payload.toString()) as { certificateId: string; certificateOwnershipToken: string };
    const reg = await request(
      c,
      '$aws/provisioning-templates/Grouped/provision/json',
      JSON.stringify({
        certificateOwnershipToken: cert.certificateOwnershipToken,
        parameters: { SerialNumber: serial },
      }),
    );
    c.end();
    return {
      outcome: reg.outcome,
      body: JSON.parse(reg.payload.toString()) as Record<string, unknown>,
      certificateId: cert.certificateId,
    };
  }

  it('rejects, applying nothing, while the type, a group or the billing group does not exist', async () => {
    const missingType = await register('1');
    expect(missingType.outcome).toBe('rejected');
    expect(missingType.body).toMatchObject({
      statusCode: 400,
      errorCode: 'ResourceNotFound',
      errorMessage: textContaining('Thing type sensor cannot be found'),
    });
    expect(fx.registry.things.get('mything_1')).toBeUndefined();
    expect(fx.registry.certificates.get(missingType.certificateId)?.status).toBe('PENDING_ACTIVATION');

    fx.registry.groups.createThingType('sensor', {});
    fx.registry.groups.createThingGroup('home');
    const missingGroup = await register('2');
    expect(missingGroup.body).toMatchObject({
      errorCode: 'ResourceNotFound',
      errorMessage: textContaining('Thing group kitchen cannot be found'),
    });
    expect(fx.registry.things.get('mything_2')).toBeUndefined();

    fx.registry.groups.createThingGroup('kitchen', 'home');
    const missingBilling = await register('3');
    expect(missingBilling.body).toMatchObject({
      errorCode: 'ResourceNotFound',
      errorMessage: textContaining('Billing group b1 cannot be found'),
    });
  });

  it('applies type, groups and billing group once they exist, with the certificate ACTIVE from "Active"', async () => {
    fx.registry.groups.createThingType('sensor', {});
    fx.registry.groups.createThingGroup('home');
    fx.registry.groups.createThingGroup('kitchen', 'home');
    fx.registry.groups.createBillingGroup('b1');
    const ok = await register('4');
    expect(ok.outcome).toBe('accepted');
    expect(fx.registry.things.get('mything_4')).toMatchObject({
      thingTypeName: 'sensor',
      thingGroups: ['home', 'kitchen'],
      billingGroupName: 'b1',
    });
    expect(fx.registry.certificates.get(ok.certificateId)?.status).toBe('ACTIVE');
  });
});
