/**
 * CreateThingType/DescribeThingType, CreateThingGroup/ListThingGroups and CreateBillingGroup: the
 * registry resources a provisioning template or CreateThing may name, which must exist first.
 */
import type { GroupRecord } from '../../registry/index.js';
import {
  invalidRequest,
  notFound,
  epochSeconds,
  iotArn,
  paginate,
  PAGE_SIZE,
  THING_NAME,
  checkName,
  optionalObject,
  optionalString,
  queryBoolean,
  queryInteger,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation } from '../contract/index.js';

/** Thing type and group names: the service model's pattern, as thing names. */
const NAME = THING_NAME;

function arnOf(ctx: ControlPlaneContext, kind: string, name: string): string {
  return iotArn(ctx, `${kind}/${name}`);
}

export const createThingType: Operation = {
  name: 'CreateThingType',
  method: 'POST',
  path: '/thing-types/{thingTypeName}',
  prepare({ labels, body }, ctx) {
    const name = checkName(labels.thingTypeName ?? '', 'thingTypeName', NAME);
    const props = optionalObject(body, 'thingTypeProperties') ?? {};
    const description = optionalString(props, 'thingTypeDescription');
    const searchable = props.searchableAttributes;
    if (
      searchable !== undefined &&
      (!Array.isArray(searchable) || searchable.length > 3 || !searchable.every((a) => typeof a === 'string'))
    ) {
      throw invalidRequest('searchableAttributes must be a list of at most 3 attribute names');
    }
    return {
      permissions: [{ action: 'iot:CreateThingType', resource: arnOf(ctx, 'thingtype', name) }],
      run() {
        const t = ctx.registry.groups.createThingType(name, {
          ...(description !== undefined ? { thingTypeDescription: description } : {}),
          ...(searchable !== undefined ? { searchableAttributes: searchable } : {}),
        });
        return { thingTypeName: t.thingTypeName, thingTypeArn: t.thingTypeArn, thingTypeId: t.thingTypeId };
      },
    };
  },
};

export const describeThingType: Operation = {
  name: 'DescribeThingType',
  method: 'GET',
  path: '/thing-types/{thingTypeName}',
  prepare({ labels }, ctx) {
    const name = checkName(labels.thingTypeName ?? '', 'thingTypeName', NAME);
    return {
      permissions: [{ action: 'iot:DescribeThingType', resource: arnOf(ctx, 'thingtype', name) }],
      run() {
        const t = ctx.registry.groups.getThingType(name);
        if (t === undefined) throw notFound(`Thing type ${name} cannot be found.`);
        return {
          thingTypeName: t.thingTypeName,
          thingTypeId: t.thingTypeId,
          thingTypeArn: t.thingTypeArn,
          thingTypeProperties: t.properties,
          thingTypeMetadata: { deprecated: t.deprecated, creationDate: epochSeconds(t.creationDate) },
        };
      },
    };
  },
};

export const createThingGroup: Operation = {
  name: 'CreateThingGroup',
  method: 'POST',
  path: '/thing-groups/{thingGroupName}',
  prepare({ labels, body }, ctx) {
    const name = checkName(labels.thingGroupName ?? '', 'thingGroupName', NAME);
    const parent = optionalString(body, 'parentGroupName');
    return {
      permissions: [{ action: 'iot:CreateThingGroup', resource: arnOf(ctx, 'thinggroup', name) }],
      run() {
        const g = ctx.registry.groups.createThingGroup(name, parent);
        return { thingGroupName: g.groupName, thingGroupArn: g.groupArn, thingGroupId: g.groupId };
      },
    };
  },
};

function isDescendant(all: Map<string, GroupRecord>, g: GroupRecord, ancestor: string): boolean {
  for (
    let p = g.parentGroupName, depth = 0;
    p !== undefined && depth < all.size;
    p = all.get(p)?.parentGroupName, depth++
  ) {
    if (p === ancestor) return true;
  }
  return false;
}

export const listThingGroups: Operation = {
  name: 'ListThingGroups',
  method: 'GET',
  path: '/thing-groups',
  prepare({ query }, ctx) {
    const maxResults = queryInteger(query, 'maxResults', PAGE_SIZE);
    const parent = query.get('parentGroup');
    const prefix = query.get('namePrefixFilter');
    const recursive = queryBoolean(query, 'recursive') ?? true;
    return {
      permissions: [{ action: 'iot:ListThingGroups', resource: '*' }],
      run() {
        const groups = ctx.registry.groups.listThingGroups();
        const byName = new Map(groups.map((g) => [g.groupName, g]));
        const matching = groups.filter(
          (g) =>
            (prefix === undefined || g.groupName.startsWith(prefix)) &&
            (parent === undefined || g.parentGroupName === parent || (recursive && isDescendant(byName, g, parent))),
        );
        const { page, next } = paginate(matching, query.get('nextToken'), maxResults);
        return {
          thingGroups: page.map((g) => ({ groupName: g.groupName, groupArn: g.groupArn })),
          ...(next !== undefined ? { nextToken: next } : {}),
        };
      },
    };
  },
};

export const createBillingGroup: Operation = {
  name: 'CreateBillingGroup',
  method: 'POST',
  path: '/billing-groups/{billingGroupName}',
  prepare({ labels }, ctx) {
    const name = checkName(labels.billingGroupName ?? '', 'billingGroupName', NAME);
    return {
      permissions: [{ action: 'iot:CreateBillingGroup', resource: arnOf(ctx, 'billinggroup', name) }],
      run() {
        const g = ctx.registry.groups.createBillingGroup(name);
        return { billingGroupName: g.groupName, billingGroupArn: g.groupArn, billingGroupId: g.groupId };
      },
    };
  },
};
