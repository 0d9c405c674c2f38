/**
 * CreateThing/UpdateThing/ListThingPrincipals/DetachThingPrincipal: what the pre-provisioning hook
 * (cloud/hook) and the decommission command (cloud/setup) call, with the AWS IoT API Reference's
 * bindings, shapes and conflict rules.
 */
import type { Registry, ThingRecord } from '../../registry/index.js';
import {
  awsError,
  invalidRequest,
  notFound,
  iotArn,
  paginate,
  PAGE_SIZE,
  THING_NAME,
  checkName,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  queryInteger,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation, JsonBody } from '../contract/index.js';

/** AttributePayload constraints (service model): names and values. */
const ATTRIBUTE_NAME = { pattern: '[a-zA-Z0-9_.,@/:#-]+', min: 1, max: 128 } as const;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]*$/;
const ATTRIBUTE_VALUE_MAX = 800;

function thingResource(ctx: ControlPlaneContext, name: string): string {
  return iotArn(ctx, `thing/${name}`);
}

function attributePayload(body: JsonBody): { attributes?: Record<string, string>; merge: boolean } {
  const payload = optionalObject(body, 'attributePayload');
  if (payload === undefined) return { merge: false };
  const merge = optionalBoolean(payload, 'merge') ?? false;
  const raw = optionalObject(payload, 'attributes');
  if (raw === undefined) return { merge };
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    checkName(k, 'attributePayload.attributes.key', ATTRIBUTE_NAME);
    if (typeof v !== 'string' || v.length > ATTRIBUTE_VALUE_MAX || !ATTRIBUTE_VALUE.test(v)) {
      throw invalidRequest(
        `1 validation error detected: Value at 'attributePayload.attributes.${k}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.,@/:#=\\[\\]-]* and have length less than or equal to ${ATTRIBUTE_VALUE_MAX}`,
      );
    }
    attributes[k] = v;
  }
  return { attributes, merge };
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function requireThing(registry: Registry, thingName: string): ThingRecord {
  const t = registry.things.get(thingName);
  if (t === undefined) throw notFound(`Thing ${thingName} cannot be found.`);
  return t;
}

/**
 * AWS: "If this call is made multiple times using the same thing name and configuration, the call
 * will succeed. If this call is made with the same thing name but different configuration a
 * ResourceAlreadyExistsException is thrown." (CreateThing, AWS IoT API Reference). The hook relies
 * on that as a compare-and-set.
 */
export const createThing: Operation = {
  name: 'CreateThing',
  method: 'POST',
  path: '/things/{thingName}',
  prepare({ labels, body }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    const { attributes } = attributePayload(body);
    const thingTypeName = optionalString(body, 'thingTypeName');
    const billingGroupName = optionalString(body, 'billingGroupName');
    return {
      permissions: [{ action: 'iot:CreateThing', resource: thingResource(ctx, thingName) }],
      run() {
        const thing = ctx.registry.transaction(() => {
          const existing = ctx.registry.things.get(thingName);
          if (existing === undefined) {
            // The thing type and billing group must exist (ResourceNotFoundException otherwise).
            ctx.registry.groups.requireExisting({
              ...(thingTypeName !== undefined ? { thingTypeName } : {}),
              ...(billingGroupName !== undefined ? { billingGroupName } : {}),
            });
            return ctx.registry.things.create({
              thingName,
              ...(attributes ? { attributes } : {}),
              ...(thingTypeName !== undefined ? { thingTypeName } : {}),
              ...(billingGroupName !== undefined ? { billingGroupName } : {}),
            });
          }
          if (
            !sameAttributes(existing.attributes, attributes ?? {}) ||
            existing.thingTypeName !== thingTypeName ||
            existing.billingGroupName !== billingGroupName
          ) {
            throw awsError(
              'ResourceAlreadyExistsException',
              `Thing ${thingName} already exists in account with different attributes`,
              { resourceId: existing.thingId, resourceArn: existing.thingArn },
            );
          }
          return existing;
        });
        return { thingName: thing.thingName, thingArn: thing.thingArn, thingId: thing.thingId };
      },
    };
  },
};

export const updateThing: Operation = {
  name: 'UpdateThing',
  method: 'PATCH',
  path: '/things/{thingName}',
  prepare({ labels, body }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    const { attributes, merge } = attributePayload(body);
    const expectedVersion = optionalInteger(body, 'expectedVersion');
    const thingTypeName = optionalString(body, 'thingTypeName');
    const removeThingType = optionalBoolean(body, 'removeThingType') ?? false;
    if (removeThingType && thingTypeName !== undefined)
      throw invalidRequest('Cannot specify both thingTypeName and removeThingType');
    return {
      permissions: [{ action: 'iot:UpdateThing', resource: thingResource(ctx, thingName) }],
      run() {
        ctx.registry.transaction(() => {
          requireThing(ctx.registry, thingName);
          ctx.registry.things.update(thingName, {
            ...(attributes ? { attributes, merge } : {}),
            ...(expectedVersion !== undefined ? { expectedVersion } : {}),
            ...(removeThingType ? { thingTypeName: null } : thingTypeName !== undefined ? { thingTypeName } : {}),
          });
        });
        return {};
      },
    };
  },
};

export const listThingPrincipals: Operation = {
  name: 'ListThingPrincipals',
  method: 'GET',
  path: '/things/{thingName}/principals',
  prepare({ labels, query }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    const maxResults = queryInteger(query, 'maxResults', PAGE_SIZE);
    return {
      permissions: [{ action: 'iot:ListThingPrincipals', resource: thingResource(ctx, thingName) }],
      run() {
        requireThing(ctx.registry, thingName);
        const { page, next } = paginate(
          ctx.registry.things.listPrincipals(thingName),
          query.get('nextToken'),
          maxResults,
        );
        return { principals: page, ...(next !== undefined ? { nextToken: next } : {}) };
      },
    };
  },
};

export const detachThingPrincipal: Operation = {
  name: 'DetachThingPrincipal',
  method: 'DELETE',
  path: '/things/{thingName}/principals',
  prepare({ labels, headers }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    const principal = headers['x-amzn-principal'];
    if (typeof principal !== 'string' || principal.length === 0) {
      throw invalidRequest(
        "1 validation error detected: Value null at 'principal' failed to satisfy constraint: Member must not be null",
      );
    }
    return {
      permissions: [{ action: 'iot:DetachThingPrincipal', resource: thingResource(ctx, thingName) }],
      run() {
        requireThing(ctx.registry, thingName);
        ctx.registry.things.detachPrincipal(thingName, principal);
        return {};
      },
    };
  },
};
