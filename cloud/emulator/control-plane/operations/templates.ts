/** Create/Describe/List/Update/DeleteProvisioningTemplate. */
import type {
  PreProvisioningHook,
  ProvisioningTemplatePatch,
  ProvisioningTemplateRecord,
} from '../../registry/index.js';
import { validateTemplate } from '../../templates/index.js';
import {
  invalidRequest,
  epochSeconds,
  iotArn,
  paginate,
  PAGE_SIZE,
  TEMPLATE_DESCRIPTION_MAX,
  TEMPLATE_NAME,
  checkName,
  optionalBoolean,
  optionalObject,
  optionalString,
  queryInteger,
  requiredString,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation, JsonBody } from '../contract/index.js';

/** An IAM role ARN, as provisioningRoleArn must be (AWS: 20-2048 characters). */
const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/u;
const TEMPLATE_TYPES = new Set(['FLEET_PROVISIONING', 'JITP']);
/** AWS's only pre-provisioning hook payload version. */
const HOOK_PAYLOAD_VERSION = '2020-04-01';

function templateResource(ctx: ControlPlaneContext, name: string): string {
  return iotArn(ctx, `provisioningtemplate/${name}`);
}

function checkRoleArn(arn: string): string {
  if (!ROLE_ARN_RE.test(arn)) throw invalidRequest(`provisioningRoleArn is not a valid IAM role ARN: ${arn}`);
  return arn;
}

function checkDescription(description: string | undefined): string | undefined {
  if (description !== undefined && description.length > TEMPLATE_DESCRIPTION_MAX) {
    throw invalidRequest(
      `1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to ${TEMPLATE_DESCRIPTION_MAX}`,
    );
  }
  return description;
}

function parseHook(body: JsonBody): PreProvisioningHook | undefined {
  const hook = optionalObject(body, 'preProvisioningHook');
  if (hook === undefined) return undefined;
  const targetArn = requiredString(hook, 'targetArn');
  const payloadVersion = optionalString(hook, 'payloadVersion');
  if (payloadVersion !== undefined && payloadVersion !== HOOK_PAYLOAD_VERSION) {
    throw invalidRequest(`preProvisioningHook.payloadVersion must be ${HOOK_PAYLOAD_VERSION}`);
  }
  return { targetArn, payloadVersion: payloadVersion ?? HOOK_PAYLOAD_VERSION };
}

function checkBody(body: string): string {
  validateTemplate(body);
  return body;
}

function summary(t: ProvisioningTemplateRecord): JsonBody {
  return {
    templateArn: t.templateArn,
    templateName: t.templateName,
    ...(t.description !== undefined ? { description: t.description } : {}),
    creationDate: epochSeconds(t.creationDate),
    lastModifiedDate: epochSeconds(t.lastModifiedDate),
    enabled: t.enabled,
    type: t.type,
  };
}

export const createProvisioningTemplate: Operation = {
  name: 'CreateProvisioningTemplate',
  method: 'POST',
  path: '/provisioning-templates',
  prepare({ body }, ctx) {
    const templateName = checkName(requiredString(body, 'templateName'), 'templateName', TEMPLATE_NAME);
    const templateBody = requiredString(body, 'templateBody');
    const provisioningRoleArn = checkRoleArn(requiredString(body, 'provisioningRoleArn'));
    const description = checkDescription(optionalString(body, 'description'));
    const enabled = optionalBoolean(body, 'enabled');
    const preProvisioningHook = parseHook(body);
    const type = optionalString(body, 'type') ?? 'FLEET_PROVISIONING';
    if (!TEMPLATE_TYPES.has(type))
      throw invalidRequest(
        `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [JITP, FLEET_PROVISIONING]`,
      );
    if (type === 'JITP' && preProvisioningHook !== undefined)
      throw invalidRequest('A pre-provisioning hook is not supported for JITP templates');
    return {
      permissions: [
        { action: 'iot:CreateProvisioningTemplate', resource: templateResource(ctx, templateName) },
        // AWS requires the caller may pass the provisioning role to AWS IoT.
        { action: 'iam:PassRole', resource: provisioningRoleArn },
      ],
      run() {
        checkBody(templateBody);
        const t = ctx.registry.templates.create({
          templateName,
          templateBody,
          provisioningRoleArn,
          ...(description !== undefined ? { description } : {}),
          ...(enabled !== undefined ? { enabled } : {}),
          ...(preProvisioningHook !== undefined ? { preProvisioningHook } : {}),
          type: type as 'FLEET_PROVISIONING' | 'JITP',
        });
        return { templateArn: t.templateArn, templateName: t.templateName, defaultVersionId: t.defaultVersionId };
      },
    };
  },
};

export const describeProvisioningTemplate: Operation = {
  name: 'DescribeProvisioningTemplate',
  method: 'GET',
  path: '/provisioning-templates/{templateName}',
  prepare({ labels }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    return {
      permissions: [{ action: 'iot:DescribeProvisioningTemplate', resource: templateResource(ctx, templateName) }],
      run() {
        const t = ctx.registry.templates.require(templateName);
        return {
          ...summary(t),
          defaultVersionId: t.defaultVersionId,
          templateBody: t.templateBody,
          provisioningRoleArn: t.provisioningRoleArn,
          ...(t.preProvisioningHook !== undefined ? { preProvisioningHook: t.preProvisioningHook } : {}),
        };
      },
    };
  },
};

export const listProvisioningTemplates: Operation = {
  name: 'ListProvisioningTemplates',
  method: 'GET',
  path: '/provisioning-templates',
  prepare({ query }, ctx) {
    const maxResults = queryInteger(query, 'maxResults', PAGE_SIZE);
    return {
      permissions: [{ action: 'iot:ListProvisioningTemplates', resource: '*' }],
      run() {
        const { page, next } = paginate(ctx.registry.templates.list(), query.get('nextToken'), maxResults);
        return { templates: page.map(summary), ...(next !== undefined ? { nextToken: next } : {}) };
      },
    };
  },
};

export const updateProvisioningTemplate: Operation = {
  name: 'UpdateProvisioningTemplate',
  method: 'PATCH',
  path: '/provisioning-templates/{templateName}',
  prepare({ labels, body }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    const patch: ProvisioningTemplatePatch = {};
    const description = checkDescription(optionalString(body, 'description'));
    if (description !== undefined) patch.description = description;
    const enabled = optionalBoolean(body, 'enabled');
    if (enabled !== undefined) patch.enabled = enabled;
    const role = optionalString(body, 'provisioningRoleArn');
    if (role !== undefined) patch.provisioningRoleArn = checkRoleArn(role);
    const defaultVersionId = body.defaultVersionId;
    if (defaultVersionId !== undefined && defaultVersionId !== null) {
      if (typeof defaultVersionId !== 'number' || !Number.isInteger(defaultVersionId))
        throw invalidRequest('defaultVersionId must be an integer');
      patch.defaultVersionId = defaultVersionId;
    }
    const hook = parseHook(body);
    const remove = optionalBoolean(body, 'removePreProvisioningHook');
    if (hook !== undefined && remove === true)
      throw invalidRequest('Cannot set and remove the pre-provisioning hook in the same request');
    if (hook !== undefined) patch.preProvisioningHook = hook;
    if (remove === true) patch.preProvisioningHook = null;
    const permissions = [{ action: 'iot:UpdateProvisioningTemplate', resource: templateResource(ctx, templateName) }];
    if (patch.provisioningRoleArn !== undefined)
      permissions.push({ action: 'iam:PassRole', resource: patch.provisioningRoleArn });
    return {
      permissions,
      run() {
        const current = ctx.registry.templates.require(templateName);
        if (current.type === 'JITP' && hook !== undefined)
          throw invalidRequest('A pre-provisioning hook is not supported for JITP templates');
        ctx.registry.templates.update(templateName, patch);
        return {};
      },
    };
  },
};

export const deleteProvisioningTemplate: Operation = {
  name: 'DeleteProvisioningTemplate',
  method: 'DELETE',
  path: '/provisioning-templates/{templateName}',
  prepare({ labels }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    return {
      permissions: [{ action: 'iot:DeleteProvisioningTemplate', resource: templateResource(ctx, templateName) }],
      run() {
        ctx.registry.templates.delete(templateName);
        return {};
      },
    };
  },
};

/** CreateProvisioningClaim: a temporary claim certificate, usable on the template's topics for 5 minutes. */
export const CLAIM_VALIDITY_MS = 5 * 60 * 1000;
/** Back-dating of the claim certificate's notBefore, tolerating a device clock slightly behind. */
const CLAIM_NOT_BEFORE_SLACK_MS = 60 * 1000;

export const createProvisioningClaim: Operation = {
  name: 'CreateProvisioningClaim',
  method: 'POST',
  path: '/provisioning-templates/{templateName}/provisioning-claim',
  prepare({ labels }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    return {
      permissions: [{ action: 'iot:CreateProvisioningClaim', resource: templateResource(ctx, templateName) }],
      async run() {
        const template = ctx.registry.templates.require(templateName);
        if (!template.enabled) throw invalidRequest(`The provisioning template ${templateName} is disabled`);
        if (template.type !== 'FLEET_PROVISIONING')
          throw invalidRequest(`The provisioning template ${templateName} is not a fleet provisioning template`);
        const now = ctx.now();
        const expiration = new Date(now.getTime() + CLAIM_VALIDITY_MS);
        const issued = await ctx.ca.createKeyPairAndCertificate({
          validity: { notBefore: new Date(now.getTime() - CLAIM_NOT_BEFORE_SLACK_MS), notAfter: expiration },
        });
        ctx.registry.certificates.insert({
          certificateId: issued.certificateId,
          certificatePem: issued.certificatePem,
          status: 'ACTIVE',
          notBefore: issued.notBefore,
          notAfter: issued.notAfter,
          caCertificateId: ctx.ca.caCertificateId,
          isClaim: true,
          templateName,
          claimExpiresAt: expiration,
        });
        return {
          certificateId: issued.certificateId,
          certificatePem: issued.certificatePem,
          keyPair: issued.keyPair,
          expiration: epochSeconds(expiration),
        };
      },
    };
  },
};
