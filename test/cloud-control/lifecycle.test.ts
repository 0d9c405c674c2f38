/**
 * The operations a provisioned thing needs to be inspected and cleaned up, with @aws-sdk/client-iot
 * unmodified: create, attach, list (paged), detach, delete — and AWS's refusals on the way.
 */
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateBillingGroupCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateProvisioningTemplateCommand,
  CreateProvisioningTemplateVersionCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeleteThingCommand,
  DescribeProvisioningTemplateVersionCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListPrincipalPoliciesCommand,
  ListPrincipalThingsCommand,
  ListProvisioningTemplateVersionsCommand,
  ListTargetsForPolicyCommand,
  ListThingGroupsCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
  paginateListThingPrincipals,
} from '@aws-sdk/client-iot';
import type { IoTClient } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './harness.js';
import { ACCOUNT, REGION, ROLE_ARN, TEMPLATE_BODY, TEMPLATE_NAME, startHarness } from './harness.js';

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).name;
  }
  throw new Error('expected the call to fail');
}

const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

let h: Harness;
let iot: IoTClient;

beforeAll(async () => {
  h = await startHarness();
  iot = h.client();
});
afterAll(async () => {
  await h?.close();
});

describe('a thing from creation to deletion', () => {
  it('creates keys, a thing and a policy, attaches and lists them, then cleans everything up', async () => {
    const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    expect(keys.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.keyPair?.PrivateKey).toContain('PRIVATE KEY');
    const arn = keys.certificateArn!;
    expect(arn).toBe(`arn:aws:iot:${REGION}:${ACCOUNT}:cert/${keys.certificateId}`);

    const thing = await iot.send(
      new CreateThingCommand({ thingName: 'mything_1', attributePayload: { attributes: { SerialNumber: '1' } } }),
    );
    expect(thing).toMatchObject({
      thingName: 'mything_1',
      thingArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thing/mything_1`,
    });
    // Same name and configuration again succeeds; a different configuration is refused.
    expect(
      (
        await iot.send(
          new CreateThingCommand({ thingName: 'mything_1', attributePayload: { attributes: { SerialNumber: '1' } } }),
        )
      ).thingId,
    ).toBe(thing.thingId);
    expect(
      await errorName(
        iot.send(
          new CreateThingCommand({ thingName: 'mything_1', attributePayload: { attributes: { SerialNumber: '2' } } }),
        ),
      ),
    ).toBe('ResourceAlreadyExistsException');

    await iot.send(new CreatePolicyCommand({ policyName: 'pubsub', policyDocument: DOC }));
    await iot.send(new AttachPolicyCommand({ policyName: 'pubsub', target: arn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'mything_1', principal: arn }));

    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'mything_1' }))).principals).toEqual([arn]);
    expect((await iot.send(new ListPrincipalThingsCommand({ principal: arn }))).things).toEqual(['mything_1']);
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'pubsub' }))).targets).toEqual([arn]);
    expect(
      (await iot.send(new ListPrincipalPoliciesCommand({ principal: arn }))).policies?.map((p) => p.policyName),
    ).toEqual(['pubsub']);

    // AWS's order of refusals: the thing has a principal, the certificate is active, the policy is attached.
    expect(await errorName(iot.send(new DeleteThingCommand({ thingName: 'mything_1' })))).toBe(
      'InvalidRequestException',
    );
    expect(await errorName(iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId })))).toBe(
      'CertificateStateException',
    );
    expect(await errorName(iot.send(new DeletePolicyCommand({ policyName: 'pubsub' })))).toBe(
      'DeleteConflictException',
    );

    await iot.send(new DetachThingPrincipalCommand({ thingName: 'mything_1', principal: arn }));
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'mything_1' }))).principals).toEqual([]);
    await iot.send(new UpdateCertificateCommand({ certificateId: keys.certificateId, newStatus: 'INACTIVE' }));
    expect(await errorName(iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId })))).toBe(
      'DeleteConflictException',
    );
    await iot.send(new DetachPolicyCommand({ policyName: 'pubsub', target: arn }));
    await iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId }));
    await iot.send(new DeletePolicyCommand({ policyName: 'pubsub' }));
    await iot.send(new DeleteThingCommand({ thingName: 'mything_1' }));
    expect(await errorName(iot.send(new DescribeThingCommand({ thingName: 'mything_1' })))).toBe(
      'ResourceNotFoundException',
    );
    expect(h.registry.certificates.get(keys.certificateId!)).toBeUndefined();
    expect(h.registry.policies.get('pubsub')).toBeUndefined();
  });

  it('forceDelete detaches policies of an inactive certificate', async () => {
    const keys = await iot.send(new CreateKeysAndCertificateCommand({}));
    expect(h.registry.certificates.get(keys.certificateId!)?.status).toBe('INACTIVE');
    await iot.send(new CreatePolicyCommand({ policyName: 'forced', policyDocument: DOC }));
    await iot.send(new AttachPolicyCommand({ policyName: 'forced', target: keys.certificateArn! }));
    await iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId, forceDelete: true }));
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'forced' }))).targets).toEqual([]);
  });

  it('pages thing principals with nextToken', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'paged' }));
    for (let i = 0; i < 3; i++) {
      const k = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      await iot.send(new AttachThingPrincipalCommand({ thingName: 'paged', principal: k.certificateArn }));
    }
    const first = await iot.send(new ListThingPrincipalsCommand({ thingName: 'paged', maxResults: 2 }));
    expect(first.principals).toHaveLength(2);
    expect(first.nextToken).toBeTypeOf('string');
    const all: string[] = [];
    for await (const page of paginateListThingPrincipals({ client: iot, pageSize: 2 }, { thingName: 'paged' }))
      all.push(...(page.principals ?? []));
    expect(all).toHaveLength(3);
    expect(await errorName(iot.send(new ListThingPrincipalsCommand({ thingName: 'nope' })))).toBe(
      'ResourceNotFoundException',
    );
    expect(
      await errorName(
        iot.send(
          new AttachThingPrincipalCommand({
            thingName: 'paged',
            principal: `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${'e'.repeat(64)}`,
          }),
        ),
      ),
    ).toBe('ResourceNotFoundException');
  });

  it('versions provisioning templates (at most 5) and describes each version', async () => {
    await iot.send(
      new CreateProvisioningTemplateCommand({
        templateName: TEMPLATE_NAME,
        templateBody: TEMPLATE_BODY,
        provisioningRoleArn: ROLE_ARN,
        enabled: true,
      }),
    );
    const v2 = await iot.send(
      new CreateProvisioningTemplateVersionCommand({
        templateName: TEMPLATE_NAME,
        templateBody: TEMPLATE_BODY.replace('mything_', 'dev_'),
        setAsDefault: true,
      }),
    );
    expect(v2).toMatchObject({ templateName: TEMPLATE_NAME, versionId: 2, isDefaultVersion: true });
    const listed = await iot.send(new ListProvisioningTemplateVersionsCommand({ templateName: TEMPLATE_NAME }));
    expect(listed.versions?.map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(listed.versions?.[0]?.creationDate).toBeInstanceOf(Date);
    const d1 = await iot.send(
      new DescribeProvisioningTemplateVersionCommand({ templateName: TEMPLATE_NAME, versionId: 1 }),
    );
    expect(d1.templateBody).toBe(TEMPLATE_BODY);
    for (let i = 0; i < 3; i++)
      await iot.send(
        new CreateProvisioningTemplateVersionCommand({ templateName: TEMPLATE_NAME, templateBody: TEMPLATE_BODY }),
      );
    expect(
      await errorName(
        iot.send(
          new CreateProvisioningTemplateVersionCommand({ templateName: TEMPLATE_NAME, templateBody: TEMPLATE_BODY }),
        ),
      ),
    ).toBe('VersionsLimitExceededException');
    expect(
      await errorName(
        iot.send(new DescribeProvisioningTemplateVersionCommand({ templateName: TEMPLATE_NAME, versionId: 9 })),
      ),
    ).toBe('ResourceNotFoundException');
  });

  it('thing types, thing groups and billing groups exist only once created', async () => {
    expect(await errorName(iot.send(new DescribeThingTypeCommand({ thingTypeName: 'sensor' })))).toBe(
      'ResourceNotFoundException',
    );
    expect(await errorName(iot.send(new CreateThingCommand({ thingName: 'typed', thingTypeName: 'sensor' })))).toBe(
      'ResourceNotFoundException',
    );
    await iot.send(
      new CreateThingTypeCommand({
        thingTypeName: 'sensor',
        thingTypeProperties: { thingTypeDescription: 'a sensor' },
      }),
    );
    const t = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'sensor' }));
    expect(t).toMatchObject({
      thingTypeName: 'sensor',
      thingTypeProperties: { thingTypeDescription: 'a sensor' },
      thingTypeMetadata: { deprecated: false },
    });
    await iot.send(new CreateBillingGroupCommand({ billingGroupName: 'b1' }));
    await iot.send(new CreateThingCommand({ thingName: 'typed', thingTypeName: 'sensor', billingGroupName: 'b1' }));
    expect(await iot.send(new DescribeThingCommand({ thingName: 'typed' }))).toMatchObject({
      thingTypeName: 'sensor',
      billingGroupName: 'b1',
    });
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'home' }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'kitchen', parentGroupName: 'home' }));
    const all = await iot.send(new ListThingGroupsCommand({}));
    expect(all.thingGroups?.map((g) => g.groupName)).toEqual(['home', 'kitchen']);
    expect(
      (await iot.send(new ListThingGroupsCommand({ parentGroup: 'home' }))).thingGroups?.map((g) => g.groupName),
    ).toEqual(['kitchen']);
  });
});
