/**
 * Create/Describe/ListProvisioningTemplateVersion(s) (AWS IoT API Reference): a template keeps at
 * most 5 versions (VersionsLimitExceededException beyond), versions are numbered from 1, and a new
 * version becomes the default only with `setAsDefault`.
 */
import type { TemplateVersionRecord } from '../../registry/index.js';
import { validateTemplate } from '../../templates/index.js';
import {
  notFound,
  epochSeconds,
  iotArn,
  paginate,
  PAGE_SIZE,
  TEMPLATE_NAME,
  checkName,
  queryBoolean,
  queryInteger,
  requiredString,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation } from '../contract/index.js';

function templateResource(ctx: ControlPlaneContext, name: string): string {
  return iotArn(ctx, `provisioningtemplate/${name}`);
}

function summary(v: TemplateVersionRecord): { versionId: number; creationDate: number; isDefaultVersion: boolean } {
  return { versionId: v.versionId, creationDate: epochSeconds(v.creationDate), isDefaultVersion: v.isDefaultVersion };
}

export const createProvisioningTemplateVersion: Operation = {
  name: 'CreateProvisioningTemplateVersion',
  method: 'POST',
  path: '/provisioning-templates/{templateName}/versions',
  prepare({ labels, body, query }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    const templateBody = requiredString(body, 'templateBody');
    const setAsDefault = queryBoolean(query, 'setAsDefault') ?? false;
    return {
      permissions: [{ action: 'iot:CreateProvisioningTemplateVersion', resource: templateResource(ctx, templateName) }],
      run() {
        const t = ctx.registry.templates.require(templateName);
        validateTemplate(templateBody);
        const v = ctx.registry.templates.createVersion(templateName, templateBody, setAsDefault);
        return {
          templateArn: t.templateArn,
          templateName,
          versionId: v.versionId,
          isDefaultVersion: v.isDefaultVersion,
        };
      },
    };
  },
};

export const describeProvisioningTemplateVersion: Operation = {
  name: 'DescribeProvisioningTemplateVersion',
  method: 'GET',
  path: '/provisioning-templates/{templateName}/versions/{versionId}',
  prepare({ labels }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    const versionId = queryInteger(new Map([['versionId', labels.versionId ?? '']]), 'versionId', {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }) as number;
    return {
      permissions: [
        { action: 'iot:DescribeProvisioningTemplateVersion', resource: templateResource(ctx, templateName) },
      ],
      run() {
        const v = ctx.registry.templates.listVersions(templateName).find((x) => x.versionId === versionId);
        if (v === undefined) throw notFound(`Version ${versionId} of template ${templateName} not found`);
        return { ...summary(v), templateBody: v.templateBody };
      },
    };
  },
};

export const listProvisioningTemplateVersions: Operation = {
  name: 'ListProvisioningTemplateVersions',
  method: 'GET',
  path: '/provisioning-templates/{templateName}/versions',
  prepare({ labels, query }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    const maxResults = queryInteger(query, 'maxResults', PAGE_SIZE);
    return {
      permissions: [{ action: 'iot:ListProvisioningTemplateVersions', resource: templateResource(ctx, templateName) }],
      run() {
        const { page, next } = paginate(
          ctx.registry.templates.listVersions(templateName),
          query.get('nextToken'),
          maxResults,
        );
        return { versions: page.map(summary), ...(next !== undefined ? { nextToken: next } : {}) };
      },
    };
  },
};

export const deleteProvisioningTemplateVersion: Operation = {
  name: 'DeleteProvisioningTemplateVersion',
  method: 'DELETE',
  path: '/provisioning-templates/{templateName}/versions/{versionId}',
  prepare({ labels }, ctx) {
    const templateName = checkName(labels.templateName ?? '', 'templateName', TEMPLATE_NAME);
    const versionId = queryInteger(new Map([['versionId', labels.versionId ?? '']]), 'versionId', {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }) as number;
    return {
      permissions: [{ action: 'iot:DeleteProvisioningTemplateVersion', resource: templateResource(ctx, templateName) }],
      run() {
        // The registry refuses the default version (DeleteConflictException) and a missing one.
        ctx.registry.templates.deleteVersion(templateName, versionId);
        return {};
      },
    };
  },
};
