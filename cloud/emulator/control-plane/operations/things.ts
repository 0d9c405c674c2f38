/** DescribeThing/ListThings/DeleteThing (CreateThing/UpdateThing: thing-registration.ts). */
import type { ThingRecord } from '../../registry/index.js';
import {
  invalidRequest,
  notFound,
  iotArn,
  paginate,
  PAGE_SIZE,
  THING_NAME,
  checkName,
  queryBoolean,
  queryInteger,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation } from '../contract/index.js';

function thingResource(ctx: ControlPlaneContext, name: string): string {
  return iotArn(ctx, `thing/${name}`);
}

export const describeThing: Operation = {
  name: 'DescribeThing',
  method: 'GET',
  path: '/things/{thingName}',
  prepare({ labels }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    return {
      permissions: [{ action: 'iot:DescribeThing', resource: thingResource(ctx, thingName) }],
      run() {
        const t = ctx.registry.things.get(thingName);
        if (t === undefined) throw notFound(`Thing ${thingName} cannot be found.`);
        return {
          defaultClientId: t.thingName,
          thingName: t.thingName,
          thingId: t.thingId,
          thingArn: t.thingArn,
          ...(t.thingTypeName !== undefined ? { thingTypeName: t.thingTypeName } : {}),
          ...(t.billingGroupName !== undefined ? { billingGroupName: t.billingGroupName } : {}),
          attributes: t.attributes,
          version: t.version,
        };
      },
    };
  },
};

function matchesFilter(
  t: ThingRecord,
  filter: { name?: string; value?: string; prefix: boolean; type?: string },
): boolean {
  if (filter.type !== undefined && t.thingTypeName !== filter.type) return false;
  if (filter.name !== undefined) {
    const v = t.attributes[filter.name];
    if (v === undefined) return false;
    if (filter.value !== undefined && !(filter.prefix ? v.startsWith(filter.value) : v === filter.value)) return false;
  }
  return true;
}

export const listThings: Operation = {
  name: 'ListThings',
  method: 'GET',
  path: '/things',
  prepare({ query }, ctx) {
    const maxResults = queryInteger(query, 'maxResults', PAGE_SIZE);
    const name = query.get('attributeName');
    const value = query.get('attributeValue');
    const type = query.get('thingTypeName');
    const prefix = queryBoolean(query, 'usePrefixAttributeValue') ?? false;
    if (value !== undefined && name === undefined) throw invalidRequest('attributeValue requires attributeName');
    if (prefix && value === undefined) throw invalidRequest('usePrefixAttributeValue requires attributeValue');
    return {
      permissions: [{ action: 'iot:ListThings', resource: '*' }],
      run() {
        const filter = {
          prefix,
          ...(name !== undefined ? { name } : {}),
          ...(value !== undefined ? { value } : {}),
          ...(type !== undefined ? { type } : {}),
        };
        const all = ctx.registry.things.list().filter((t) => matchesFilter(t, filter));
        const { page, next } = paginate(all, query.get('nextToken'), maxResults);
        return {
          things: page.map((t) => ({
            thingName: t.thingName,
            ...(t.thingTypeName !== undefined ? { thingTypeName: t.thingTypeName } : {}),
            thingArn: t.thingArn,
            attributes: t.attributes,
            version: t.version,
          })),
          ...(next !== undefined ? { nextToken: next } : {}),
        };
      },
    };
  },
};

export const deleteThing: Operation = {
  name: 'DeleteThing',
  method: 'DELETE',
  path: '/things/{thingName}',
  prepare({ labels, query }, ctx) {
    const thingName = checkName(labels.thingName ?? '', 'thingName', THING_NAME);
    const expectedVersion = queryInteger(query, 'expectedVersion', { min: 0, max: Number.MAX_SAFE_INTEGER });
    return {
      permissions: [{ action: 'iot:DeleteThing', resource: thingResource(ctx, thingName) }],
      run() {
        ctx.registry.things.delete(thingName, expectedVersion);
        return {};
      },
    };
  },
};
