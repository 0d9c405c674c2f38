/**
 * CreatePolicy/GetPolicy/ListPolicies/DeletePolicy, AttachPolicy/DetachPolicy/ListAttachedPolicies,
 * ListTargetsForPolicy and the deprecated ListPrincipalPolicies (still what older tools call).
 */
import type { PolicyRecord } from '../../registry/index.js';
import { validatePolicyDocument } from '../../policy/index.js';
import {
  awsError,
  notFound,
  epochSeconds,
  iotArn,
  paginate,
  PAGE_SIZE,
  POLICY_NAME,
  checkName,
  queryBoolean,
  queryInteger,
  requiredHeader,
  requiredString,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation } from '../contract/index.js';

function policyResource(ctx: ControlPlaneContext, name: string): string {
  return iotArn(ctx, `policy/${name}`);
}

function listEntry(p: PolicyRecord): { policyName: string; policyArn: string } {
  return { policyName: p.policyName, policyArn: p.policyArn };
}

export const createPolicy: Operation = {
  name: 'CreatePolicy',
  method: 'POST',
  path: '/policies/{policyName}',
  prepare({ labels, body }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    const document = requiredString(body, 'policyDocument');
    return {
      permissions: [{ action: 'iot:CreatePolicy', resource: policyResource(ctx, policyName) }],
      run() {
        const checked = validatePolicyDocument(document);
        if (!checked.ok) throw awsError('MalformedPolicyException', checked.message);
        if (ctx.registry.policies.get(policyName) !== undefined) {
          throw awsError(
            'ResourceAlreadyExistsException',
            `Policy cannot be created - name already exists (name=${policyName})`,
            {
              resourceId: policyName,
              resourceArn: policyResource(ctx, policyName),
            },
          );
        }
        const p = ctx.registry.policies.create(policyName, document);
        return {
          policyName: p.policyName,
          policyArn: p.policyArn,
          policyDocument: p.policyDocument,
          policyVersionId: p.defaultVersionId,
        };
      },
    };
  },
};

export const getPolicy: Operation = {
  name: 'GetPolicy',
  method: 'GET',
  path: '/policies/{policyName}',
  prepare({ labels }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    return {
      permissions: [{ action: 'iot:GetPolicy', resource: policyResource(ctx, policyName) }],
      run() {
        const p = ctx.registry.policies.get(policyName);
        if (p === undefined) throw notFound(`Policy not found (name=${policyName})`);
        return {
          policyName: p.policyName,
          policyArn: p.policyArn,
          policyDocument: p.policyDocument,
          defaultVersionId: p.defaultVersionId,
          creationDate: epochSeconds(p.creationDate),
          lastModifiedDate: epochSeconds(p.lastModifiedDate),
          generationId: `${p.policyName}-${p.defaultVersionId}-${p.lastModifiedDate.getTime()}`,
        };
      },
    };
  },
};

export const listPolicies: Operation = {
  name: 'ListPolicies',
  method: 'GET',
  path: '/policies',
  prepare({ query }, ctx) {
    const pageSize = queryInteger(query, 'pageSize', PAGE_SIZE);
    const ascending = queryBoolean(query, 'isAscendingOrder') ?? true;
    return {
      permissions: [{ action: 'iot:ListPolicies', resource: '*' }],
      run() {
        const all = ctx.registry.policies.list();
        if (!ascending) all.reverse();
        const { page, next } = paginate(all, query.get('marker'), pageSize);
        return { policies: page.map(listEntry), ...(next !== undefined ? { nextMarker: next } : {}) };
      },
    };
  },
};

/** A policy target must be a principal ARN this emulator knows: a certificate (or a Cognito identity id). */
function checkTarget(ctx: ControlPlaneContext, target: string): void {
  const certPrefix = iotArn(ctx, 'cert/');
  if (target.startsWith(certPrefix)) {
    const id = target.slice(certPrefix.length);
    if (ctx.registry.certificates.get(id) === undefined) throw notFound(`The certificate does not exist: ${id}`);
  }
}

export const attachPolicy: Operation = {
  name: 'AttachPolicy',
  method: 'PUT',
  path: '/target-policies/{policyName}',
  prepare({ labels, body }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    const target = requiredString(body, 'target');
    return {
      permissions: [{ action: 'iot:AttachPolicy', resource: target }],
      run() {
        if (ctx.registry.policies.get(policyName) === undefined)
          throw notFound(`Policy not found (name=${policyName})`);
        checkTarget(ctx, target);
        ctx.registry.policies.attach(policyName, target);
        return undefined;
      },
    };
  },
};

export const detachPolicy: Operation = {
  name: 'DetachPolicy',
  method: 'POST',
  path: '/target-policies/{policyName}',
  prepare({ labels, body }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    const target = requiredString(body, 'target');
    return {
      permissions: [{ action: 'iot:DetachPolicy', resource: target }],
      run() {
        if (ctx.registry.policies.get(policyName) === undefined)
          throw notFound(`Policy not found (name=${policyName})`);
        ctx.registry.policies.detach(policyName, target);
        return undefined;
      },
    };
  },
};

export const listAttachedPolicies: Operation = {
  name: 'ListAttachedPolicies',
  method: 'POST',
  path: '/attached-policies/{target}',
  prepare({ labels, query }, ctx) {
    const target = labels.target ?? '';
    const pageSize = queryInteger(query, 'pageSize', PAGE_SIZE);
    return {
      permissions: [{ action: 'iot:ListAttachedPolicies', resource: target }],
      run() {
        checkTarget(ctx, target);
        const { page, next } = paginate(ctx.registry.policies.listAttached(target), query.get('marker'), pageSize);
        return { policies: page.map(listEntry), ...(next !== undefined ? { nextMarker: next } : {}) };
      },
    };
  },
};

/**
 * DeletePolicy (AWS IoT API Reference): refused with DeleteConflictException while the policy is
 * attached to a principal or has versions other than the default one.
 */
export const deletePolicy: Operation = {
  name: 'DeletePolicy',
  method: 'DELETE',
  path: '/policies/{policyName}',
  prepare({ labels }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    return {
      permissions: [{ action: 'iot:DeletePolicy', resource: policyResource(ctx, policyName) }],
      run() {
        if (ctx.registry.policies.get(policyName) === undefined)
          throw notFound(`Policy not found (name=${policyName})`);
        ctx.registry.policies.delete(policyName);
        return undefined;
      },
    };
  },
};

export const listTargetsForPolicy: Operation = {
  name: 'ListTargetsForPolicy',
  method: 'POST',
  path: '/policy-targets/{policyName}',
  prepare({ labels, query }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    const pageSize = queryInteger(query, 'pageSize', PAGE_SIZE);
    return {
      permissions: [{ action: 'iot:ListTargetsForPolicy', resource: policyResource(ctx, policyName) }],
      run() {
        if (ctx.registry.policies.get(policyName) === undefined)
          throw notFound(`Policy not found (name=${policyName})`);
        const { page, next } = paginate(ctx.registry.policies.listTargets(policyName), query.get('marker'), pageSize);
        return { targets: page, ...(next !== undefined ? { nextMarker: next } : {}) };
      },
    };
  },
};

/** ListPrincipalPolicies: the principal in the `x-amzn-iot-principal` header (service model). */
export const listPrincipalPolicies: Operation = {
  name: 'ListPrincipalPolicies',
  method: 'GET',
  path: '/principal-policies',
  prepare({ headers, query }, ctx) {
    const principal = requiredHeader(headers, 'x-amzn-iot-principal', 'principal');
    const pageSize = queryInteger(query, 'pageSize', PAGE_SIZE);
    const ascending = queryBoolean(query, 'isAscendingOrder') ?? true;
    return {
      permissions: [{ action: 'iot:ListPrincipalPolicies', resource: '*' }],
      run() {
        checkTarget(ctx, principal);
        const all = ctx.registry.policies.listAttached(principal);
        if (!ascending) all.reverse();
        const { page, next } = paginate(all, query.get('marker'), pageSize);
        return { policies: page.map(listEntry), ...(next !== undefined ? { nextMarker: next } : {}) };
      },
    };
  },
};

/**
 * CreatePolicyVersion/ListPolicyVersions/DeletePolicyVersion (what `npx tp-setup` calls when the
 * device policy changes): at most 5 versions (VersionsLimitExceededException), the default version
 * cannot be deleted (DeleteConflictException).
 */
export const createPolicyVersion: Operation = {
  name: 'CreatePolicyVersion',
  method: 'POST',
  path: '/policies/{policyName}/version',
  prepare({ labels, body, query }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    const document = requiredString(body, 'policyDocument');
    const setAsDefault = queryBoolean(query, 'setAsDefault') ?? false;
    return {
      permissions: [{ action: 'iot:CreatePolicyVersion', resource: policyResource(ctx, policyName) }],
      run() {
        const checked = validatePolicyDocument(document);
        if (!checked.ok) throw awsError('MalformedPolicyException', checked.message);
        const p = ctx.registry.policies.get(policyName);
        if (p === undefined) throw notFound(`Policy not found (name=${policyName})`);
        const v = ctx.registry.policies.createVersion(policyName, document, setAsDefault);
        return {
          policyArn: p.policyArn,
          policyDocument: v.document,
          policyVersionId: v.versionId,
          isDefaultVersion: v.isDefaultVersion,
        };
      },
    };
  },
};

export const listPolicyVersions: Operation = {
  name: 'ListPolicyVersions',
  method: 'GET',
  path: '/policies/{policyName}/version',
  prepare({ labels }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    return {
      permissions: [{ action: 'iot:ListPolicyVersions', resource: policyResource(ctx, policyName) }],
      run() {
        if (ctx.registry.policies.get(policyName) === undefined)
          throw notFound(`Policy not found (name=${policyName})`);
        return {
          policyVersions: ctx.registry.policies.listVersions(policyName).map((v) => ({
            versionId: v.versionId,
            isDefaultVersion: v.isDefaultVersion,
            createDate: epochSeconds(v.createDate),
          })),
        };
      },
    };
  },
};

export const deletePolicyVersion: Operation = {
  name: 'DeletePolicyVersion',
  method: 'DELETE',
  path: '/policies/{policyName}/version/{policyVersionId}',
  prepare({ labels }, ctx) {
    const policyName = checkName(labels.policyName ?? '', 'policyName', POLICY_NAME);
    const versionId = checkName(labels.policyVersionId ?? '', 'policyVersionId', {
      pattern: '[0-9]+',
      min: 1,
      max: 20,
    });
    return {
      permissions: [{ action: 'iot:DeletePolicyVersion', resource: policyResource(ctx, policyName) }],
      run() {
        const p = ctx.registry.policies.get(policyName);
        if (p === undefined) throw notFound(`Policy not found (name=${policyName})`);
        if (p.defaultVersionId === versionId)
          throw awsError('DeleteConflictException', 'Cannot delete the default version of a policy');
        if (!ctx.registry.policies.listVersions(policyName).some((v) => v.versionId === versionId))
          throw notFound(`Policy version ${versionId} of ${policyName} not found`);
        ctx.registry.policies.deleteVersion(policyName, versionId);
        return undefined;
      },
    };
  },
};
