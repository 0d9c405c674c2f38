import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  CreateProvisioningClaimCommand,
  CreateProvisioningTemplateCommand,
  DeleteProvisioningTemplateCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeProvisioningTemplateCommand,
  DescribeThingCommand,
  GetPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  ListProvisioningTemplatesCommand,
  ListThingsCommand,
  UpdateCertificateCommand,
  UpdateProvisioningTemplateCommand,
  paginateListThings,
} from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './harness.js';
import {
  ACCOUNT,
  ADMIN,
  DATA_ENDPOINT,
  EXPIRED,
  PHONE,
  REGION,
  ROLE_ARN,
  TEMPLATE_BODY,
  TEMPLATE_NAME,
  startHarness,
} from './harness.js';

interface CaughtAwsError {
  name: string;
  message: string;
  status: number | undefined;
}

async function caught(p: Promise<unknown>): Promise<CaughtAwsError> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const POLICY_DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: `arn:aws:iot:${REGION}:${ACCOUNT}:client/\${iot:Connection.Thing.ThingName}`,
    },
  ],
});

let h: Harness;
let admin: IoTClient;

beforeAll(async () => {
  h = await startHarness();
  admin = h.client();
  await admin.send(
    new CreateProvisioningTemplateCommand({
      templateName: TEMPLATE_NAME,
      templateBody: TEMPLATE_BODY,
      provisioningRoleArn: ROLE_ARN,
      enabled: true,
      description: 'seed',
    }),
  );
});

afterAll(async () => {
  await h.close();
});

describe('provisioning templates', () => {
  it('creates, describes, lists, updates and deletes a template', async () => {
    const created = await admin.send(
      new CreateProvisioningTemplateCommand({
        templateName: 'Other_Template-1',
        templateBody: TEMPLATE_BODY,
        provisioningRoleArn: ROLE_ARN,
        preProvisioningHook: { targetArn: 'http://127.0.0.1:9/hook' },
      }),
    );
    expect(created).toMatchObject({
      templateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:provisioningtemplate/Other_Template-1`,
      templateName: 'Other_Template-1',
      defaultVersionId: 1,
    });

    const described = await admin.send(new DescribeProvisioningTemplateCommand({ templateName: 'Other_Template-1' }));
    expect(described).toMatchObject({
      templateName: 'Other_Template-1',
      templateBody: TEMPLATE_BODY,
      provisioningRoleArn: ROLE_ARN,
      enabled: false,
      type: 'FLEET_PROVISIONING',
      defaultVersionId: 1,
      preProvisioningHook: { targetArn: 'http://127.0.0.1:9/hook', payloadVersion: '2020-04-01' },
    });
    expect(described.creationDate).toBeInstanceOf(Date);

    await admin.send(
      new UpdateProvisioningTemplateCommand({
        templateName: 'Other_Template-1',
        enabled: true,
        description: 'updated',
        removePreProvisioningHook: true,
      }),
    );
    const updated = await admin.send(new DescribeProvisioningTemplateCommand({ templateName: 'Other_Template-1' }));
    expect(updated).toMatchObject({ enabled: true, description: 'updated' });
    expect(updated.preProvisioningHook).toBeUndefined();

    const listed = await admin.send(new ListProvisioningTemplatesCommand({}));
    expect(listed.templates?.map((t) => t.templateName).sort()).toEqual(['Other_Template-1', TEMPLATE_NAME]);
    const page = await admin.send(new ListProvisioningTemplatesCommand({ maxResults: 1 }));
    expect(page.templates).toHaveLength(1);
    const page2 = await admin.send(new ListProvisioningTemplatesCommand({ maxResults: 1, nextToken: page.nextToken }));
    expect(page2.templates?.[0]?.templateName).not.toBe(page.templates?.[0]?.templateName);
    expect(page2.nextToken).toBeUndefined();

    await admin.send(new DeleteProvisioningTemplateCommand({ templateName: 'Other_Template-1' }));
    const gone = await caught(
      admin.send(new DescribeProvisioningTemplateCommand({ templateName: 'Other_Template-1' })),
    );
    expect([gone.name, gone.status]).toEqual(['ResourceNotFoundException', 404]);
  });

  it('refuses a duplicate name', async () => {
    const e = await caught(
      admin.send(
        new CreateProvisioningTemplateCommand({
          templateName: TEMPLATE_NAME,
          templateBody: TEMPLATE_BODY,
          provisioningRoleArn: ROLE_ARN,
        }),
      ),
    );
    expect([e.name, e.status]).toEqual(['ResourceAlreadyExistsException', 409]);
  });

  it.each([
    ['has a space', 'bad name'],
    ['is too long', 'a'.repeat(37)],
    ['has a dot', 'a.b'],
  ])('refuses a template name that %s', async (_why, templateName) => {
    const e = await caught(
      admin.send(
        new CreateProvisioningTemplateCommand({
          templateName,
          templateBody: TEMPLATE_BODY,
          provisioningRoleArn: ROLE_ARN,
        }),
      ),
    );
    expect([e.name, e.status]).toEqual(['InvalidRequestException', 400]);
    expect(e.message).toMatch(
      /^1 validation error detected: Value '.*' at 'templateName' failed to satisfy constraint/,
    );
  });

  it('refuses a bad template body, a missing role and a bad role ARN', async () => {
    const body = await caught(
      admin.send(
        new CreateProvisioningTemplateCommand({
          templateName: 'T1',
          templateBody: '{"Resources":{"r":{"Type":"AWS::S3::Bucket"}}}',
          provisioningRoleArn: ROLE_ARN,
        }),
      ),
    );
    expect([body.name, body.status]).toEqual(['InvalidRequestException', 400]);
    expect(body.message).toMatch(/Type must be one of/);
    const notJson = await caught(
      admin.send(
        new CreateProvisioningTemplateCommand({ templateName: 'T1', templateBody: '{', provisioningRoleArn: ROLE_ARN }),
      ),
    );
    expect(notJson.name).toBe('InvalidRequestException');
    const noRole = await caught(
      admin.send(new CreateProvisioningTemplateCommand({ templateName: 'T1', templateBody: TEMPLATE_BODY } as never)),
    );
    expect(noRole.name).toBe('InvalidRequestException');
    expect(noRole.message).toMatch(/'provisioningRoleArn' failed to satisfy constraint: Member must not be null/);
    const badRole = await caught(
      admin.send(
        new CreateProvisioningTemplateCommand({
          templateName: 'T1',
          templateBody: TEMPLATE_BODY,
          provisioningRoleArn: 'not-an-arn',
        }),
      ),
    );
    expect(badRole.name).toBe('InvalidRequestException');
    // None of the refused requests left a template behind.
    const none = await caught(admin.send(new DescribeProvisioningTemplateCommand({ templateName: 'T1' })));
    expect(none.name).toBe('ResourceNotFoundException');
  });
});

describe('CreateProvisioningClaim', () => {
  it('issues a 5-minute claim certificate and key pair to the phone', async () => {
    const before = Date.now();
    const claim = await h.client(PHONE).send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME }));
    const after = Date.now();
    expect(claim.certificateId).toMatch(/^[0-9a-f]{64}$/);
    const x509 = new X509Certificate(claim.certificatePem as string);
    expect(x509.checkIssued(new X509Certificate(h.ca.caCertPem))).toBe(true);
    // The key pair belongs to the certificate.
    const pub = createPublicKey(claim.keyPair?.PublicKey as string);
    expect(x509.publicKey.export({ format: 'pem', type: 'spki' })).toBe(pub.export({ format: 'pem', type: 'spki' }));
    expect(createPrivateKey(claim.keyPair?.PrivateKey as string).asymmetricKeyType).toBe('rsa');
    const expiration = claim.expiration as Date;
    expect(expiration.getTime()).toBeGreaterThanOrEqual(before + 5 * 60_000 - 1000);
    expect(expiration.getTime()).toBeLessThanOrEqual(after + 5 * 60_000);
    const record = h.registry.certificates.get(claim.certificateId as string);
    expect(record).toMatchObject({ isClaim: true, templateName: TEMPLATE_NAME, status: 'ACTIVE' });
  });

  it('refuses a template that does not exist or is disabled', async () => {
    const missing = await caught(admin.send(new CreateProvisioningClaimCommand({ templateName: 'NoSuchTemplate' })));
    expect([missing.name, missing.status]).toEqual(['ResourceNotFoundException', 404]);
    await admin.send(
      new CreateProvisioningTemplateCommand({
        templateName: 'Disabled',
        templateBody: TEMPLATE_BODY,
        provisioningRoleArn: ROLE_ARN,
        enabled: false,
      }),
    );
    const disabled = await caught(admin.send(new CreateProvisioningClaimCommand({ templateName: 'Disabled' })));
    expect([disabled.name, disabled.status]).toEqual(['InvalidRequestException', 400]);
  });

  it('denies the phone any other template and any other action', async () => {
    const phone = h.client(PHONE);
    const other = await caught(phone.send(new CreateProvisioningClaimCommand({ templateName: 'Disabled' })));
    expect([other.name, other.status]).toEqual(['AccessDeniedException', 403]);
    expect(other.message).toBe(
      `User: ${PHONE.principalArn} is not authorized to perform: iot:CreateProvisioningClaim on resource: arn:aws:iot:${REGION}:${ACCOUNT}:provisioningtemplate/Disabled`,
    );
    const list = await caught(phone.send(new ListThingsCommand({})));
    expect([list.name, list.status, list.message]).toEqual([
      'AccessDeniedException',
      403,
      `User: ${PHONE.principalArn} is not authorized to perform: iot:ListThings on resource: *`,
    ]);
    const describe = await caught(phone.send(new DescribeProvisioningTemplateCommand({ templateName: TEMPLATE_NAME })));
    expect(describe.name).toBe('AccessDeniedException');
  });
});

describe('authentication', () => {
  it('refuses a bad signature, an unknown key, a wrong or missing session token and expired credentials', async () => {
    const bad = await caught(h.client(ADMIN, { secretAccessKey: 'wrong-secret' }).send(new ListThingsCommand({})));
    expect([bad.name, bad.status]).toEqual(['InvalidSignatureException', 403]);
    expect(bad.message).toMatch(/^The request signature we calculated does not match the signature you provided/);

    const unknown = await caught(
      h.client(ADMIN, { accessKeyId: 'AKIAUNKNOWN000000000' }).send(new ListThingsCommand({})),
    );
    expect([unknown.name, unknown.status, unknown.message]).toEqual([
      'UnrecognizedClientException',
      403,
      'The security token included in the request is invalid.',
    ]);

    const token = await caught(
      h
        .client(PHONE, { sessionToken: 'forged' })
        .send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME })),
    );
    expect(token.name).toBe('UnrecognizedClientException');

    const expired = await caught(
      h.client(EXPIRED).send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME })),
    );
    expect([expired.name, expired.status]).toEqual(['ExpiredTokenException', 403]);
  });

  it('refuses an unsigned request', async () => {
    const res = await fetch(`${h.plane.url}/things`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('lets the SDK correct its clock skew from the Date header and retry', async () => {
    const skewed = new IoTClient({
      endpoint: h.plane.url,
      region: REGION,
      maxAttempts: 2,
      systemClockOffset: -20 * 60_000,
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.secretAccessKey },
    });
    try {
      const out = await skewed.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
      expect(out.endpointAddress).toBe(DATA_ENDPOINT);
      expect(Math.abs(skewed.config.systemClockOffset)).toBeLessThan(60_000);
    } finally {
      skewed.destroy();
    }
  });

  it('refuses a client signing for another region', async () => {
    const other = new IoTClient({
      endpoint: h.plane.url,
      region: 'eu-west-1',
      maxAttempts: 1,
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: ADMIN.secretAccessKey },
    });
    try {
      const e = await caught(other.send(new ListThingsCommand({})));
      expect([e.name, e.message]).toEqual([
        'InvalidSignatureException',
        "Credential should be scoped to a valid region, not 'eu-west-1'. ",
      ]);
    } finally {
      other.destroy();
    }
  });
});

describe('policies', () => {
  it('creates, gets, lists, attaches and lists attached', async () => {
    const created = await admin.send(new CreatePolicyCommand({ policyName: 'pubsub', policyDocument: POLICY_DOC }));
    expect(created).toMatchObject({
      policyName: 'pubsub',
      policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/pubsub`,
      policyDocument: POLICY_DOC,
      policyVersionId: '1',
    });
    const got = await admin.send(new GetPolicyCommand({ policyName: 'pubsub' }));
    expect(got).toMatchObject({ policyName: 'pubsub', policyDocument: POLICY_DOC, defaultVersionId: '1' });
    expect(got.creationDate).toBeInstanceOf(Date);
    await admin.send(new CreatePolicyCommand({ policyName: 'a.b=c,d@e+f-g_h', policyDocument: POLICY_DOC }));
    const listed = await admin.send(new ListPoliciesCommand({}));
    expect(listed.policies?.map((p) => p.policyName)).toEqual(['a.b=c,d@e+f-g_h', 'pubsub']);
    const desc = await admin.send(new ListPoliciesCommand({ ascendingOrder: false, pageSize: 1 }));
    expect(desc.policies?.map((p) => p.policyName)).toEqual(['pubsub']);
    expect(desc.nextMarker).toBeDefined();

    const claim = await admin.send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME }));
    const certArn = `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${claim.certificateId}`;
    await admin.send(new AttachPolicyCommand({ policyName: 'pubsub', target: certArn }));
    const attached = await admin.send(new ListAttachedPoliciesCommand({ target: certArn }));
    expect(attached.policies).toEqual([
      { policyName: 'pubsub', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/pubsub` },
    ]);
  });

  it('refuses a duplicate, a malformed document, a bad name, and a missing policy', async () => {
    await admin.send(new CreatePolicyCommand({ policyName: 'dup', policyDocument: POLICY_DOC }));
    const dup = await caught(admin.send(new CreatePolicyCommand({ policyName: 'dup', policyDocument: POLICY_DOC })));
    expect([dup.name, dup.status]).toEqual(['ResourceAlreadyExistsException', 409]);
    const malformed = await caught(
      admin.send(new CreatePolicyCommand({ policyName: 'm', policyDocument: '{"Statement":[{"Effect":"Perhaps"}]}' })),
    );
    expect([malformed.name, malformed.status]).toEqual(['MalformedPolicyException', 400]);
    const badName = await caught(
      admin.send(new CreatePolicyCommand({ policyName: 'no spaces', policyDocument: POLICY_DOC })),
    );
    expect(badName.name).toBe('InvalidRequestException');
    const missing = await caught(admin.send(new GetPolicyCommand({ policyName: 'nope' })));
    expect([missing.name, missing.status]).toEqual(['ResourceNotFoundException', 404]);
  });
});

describe('things', () => {
  it('describes, lists with filters and pages, and deletes things', async () => {
    for (let i = 0; i < 5; i++)
      h.registry.things.create({
        thingName: `mything_${i}`,
        attributes: { location: i % 2 === 0 ? 'Seattle' : 'Berlin' },
      });
    const t = await admin.send(new DescribeThingCommand({ thingName: 'mything_1' }));
    expect(t).toMatchObject({
      thingName: 'mything_1',
      defaultClientId: 'mything_1',
      thingArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thing/mything_1`,
      attributes: { location: 'Berlin' },
      version: 1,
    });
    expect(t.thingId).toMatch(/^[0-9a-f-]{36}$/);

    const names: string[] = [];
    for await (const page of paginateListThings({ client: admin, pageSize: 2 }, {})) {
      expect((page.things ?? []).length).toBeLessThanOrEqual(2);
      names.push(...(page.things ?? []).map((x) => x.thingName as string));
    }
    expect(names).toEqual(['mything_0', 'mything_1', 'mything_2', 'mything_3', 'mything_4']);

    const berlin = await admin.send(new ListThingsCommand({ attributeName: 'location', attributeValue: 'Berlin' }));
    expect(berlin.things?.map((x) => x.thingName)).toEqual(['mything_1', 'mything_3']);
    const prefix = await admin.send(
      new ListThingsCommand({ attributeName: 'location', attributeValue: 'Sea', usePrefixAttributeValue: true }),
    );
    expect(prefix.things).toHaveLength(3);

    await admin.send(new DeleteThingCommand({ thingName: 'mything_4' }));
    const gone = await caught(admin.send(new DescribeThingCommand({ thingName: 'mything_4' })));
    expect([gone.name, gone.status]).toEqual(['ResourceNotFoundException', 404]);
    const conflict = await caught(admin.send(new DeleteThingCommand({ thingName: 'mything_3', expectedVersion: 7 })));
    expect([conflict.name, conflict.status]).toEqual(['VersionConflictException', 409]);
  });

  it('validates thing names and page sizes', async () => {
    const bad = await caught(admin.send(new DescribeThingCommand({ thingName: 'has space' })));
    expect(bad.name).toBe('InvalidRequestException');
    expect(bad.message).toContain(
      "at 'thingName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+",
    );
    const long = await caught(admin.send(new DescribeThingCommand({ thingName: 'x'.repeat(129) })));
    expect(long.message).toContain('Member must have length less than or equal to 128');
    const page = await caught(admin.send(new ListThingsCommand({ maxResults: 251 })));
    expect(page.name).toBe('InvalidRequestException');
    const token = await caught(admin.send(new ListThingsCommand({ nextToken: 'garbage!' })));
    expect(token.name).toBe('InvalidRequestException');
  });
});

describe('certificates and endpoint', () => {
  it('describes, lists and updates certificates', async () => {
    const claim = await admin.send(new CreateProvisioningClaimCommand({ templateName: TEMPLATE_NAME }));
    const id = claim.certificateId as string;
    const d = await admin.send(new DescribeCertificateCommand({ certificateId: id }));
    expect(d.certificateDescription).toMatchObject({
      certificateId: id,
      certificateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${id}`,
      status: 'ACTIVE',
      certificatePem: claim.certificatePem,
      ownedBy: ACCOUNT,
      certificateMode: 'DEFAULT',
      caCertificateId: h.ca.caCertificateId,
    });
    expect(d.certificateDescription?.validity?.notAfter?.getTime()).toBe(
      Math.floor((claim.expiration as Date).getTime() / 1000) * 1000,
    );

    await admin.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'INACTIVE' }));
    const listed = await admin.send(new ListCertificatesCommand({}));
    expect(listed.certificates?.find((c) => c.certificateId === id)?.status).toBe('INACTIVE');
    await admin.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'REVOKED' }));
    const revoked = await caught(admin.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'ACTIVE' })));
    expect([revoked.name, revoked.status]).toEqual(['CertificateStateException', 406]);
    const internal = await caught(
      admin.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'PENDING_ACTIVATION' })),
    );
    expect(internal.name).toBe('InvalidRequestException');
    const badEnum = await caught(
      admin.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'BOGUS' as never })),
    );
    expect(badEnum.name).toBe('InvalidRequestException');
  });

  it('refuses unknown and malformed certificate ids', async () => {
    const missing = await caught(admin.send(new DescribeCertificateCommand({ certificateId: 'a'.repeat(64) })));
    expect([missing.name, missing.status]).toEqual(['ResourceNotFoundException', 404]);
    const bad = await caught(admin.send(new DescribeCertificateCommand({ certificateId: 'xyz' })));
    expect(bad.name).toBe('InvalidRequestException');
  });

  it('answers DescribeEndpoint with the broker address', async () => {
    expect((await admin.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }))).endpointAddress).toBe(
      DATA_ENDPOINT,
    );
    const bad = await caught(admin.send(new DescribeEndpointCommand({ endpointType: 'iot:Nope' })));
    expect(bad.name).toBe('InvalidRequestException');
  });
});
