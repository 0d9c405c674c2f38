/**
 * Thing types, thing groups and billing groups: the registry resources a provisioning template may
 * name (`ThingTypeName`, `ThingGroups`, `BillingGroup`). AWS requires each to exist before
 * RegisterThing uses it ("Provisioning templates": the thing type, groups and billing group must
 * already exist; they are not created by provisioning).
 */
import { randomUUID } from 'node:crypto';
import { RegistryError } from './errors.js';
import type { Row, RegistryStore } from './store.js';

export interface ThingTypeRecord {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  /** `thingTypeDescription`, `searchableAttributes`, as given to CreateThingType. */
  properties: { thingTypeDescription?: string; searchableAttributes?: string[] };
  deprecated: boolean;
  creationDate: Date;
}

export interface GroupRecord {
  groupName: string;
  groupId: string;
  groupArn: string;
  parentGroupName?: string;
  creationDate: Date;
}

function groupFromRow(r: Row): GroupRecord {
  const g: GroupRecord = {
    groupName: r.name as string,
    groupId: r.group_id as string,
    groupArn: r.arn as string,
    creationDate: new Date(r.created_at as number),
  };
  if (typeof r.parent === 'string') g.parentGroupName = r.parent;
  return g;
}

export class GroupDirectory {
  constructor(private readonly store: RegistryStore) {}

  createThingType(name: string, properties: ThingTypeRecord['properties']): ThingTypeRecord {
    const existing = this.getThingType(name);
    if (existing) {
      // AWS: creating an existing type with the same properties is idempotent.
      if (JSON.stringify(existing.properties) === JSON.stringify(properties)) return existing;
      throw new RegistryError(
        'ResourceAlreadyExistsException',
        `Thing type ${name} already exists with different properties`,
      );
    }
    this.store
      .sql('INSERT INTO thing_types (name, type_id, arn, properties, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(
        name,
        randomUUID(),
        this.store.arn('thingtype', name),
        JSON.stringify(properties),
        this.store.now().getTime(),
      );
    return this.getThingType(name) as ThingTypeRecord;
  }

  getThingType(name: string): ThingTypeRecord | undefined {
    const r = this.store.sql('SELECT * FROM thing_types WHERE name = ?').get(name) as Row | undefined;
    if (!r) return undefined;
    return {
      thingTypeName: r.name as string,
      thingTypeId: r.type_id as string,
      thingTypeArn: r.arn as string,
      properties: JSON.parse(r.properties as string) as ThingTypeRecord['properties'],
      deprecated: r.deprecated === 1,
      creationDate: new Date(r.created_at as number),
    };
  }

  createThingGroup(name: string, parentGroupName?: string): GroupRecord {
    if (parentGroupName !== undefined && !this.getThingGroup(parentGroupName)) {
      throw new RegistryError('ResourceNotFoundException', `Thing group ${parentGroupName} cannot be found.`);
    }
    const existing = this.getThingGroup(name);
    if (existing) {
      if (existing.parentGroupName === parentGroupName) return existing;
      throw new RegistryError(
        'ResourceAlreadyExistsException',
        `Thing group ${name} already exists with a different parent`,
      );
    }
    this.store
      .sql('INSERT INTO thing_groups (name, group_id, arn, parent, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(name, randomUUID(), this.store.arn('thinggroup', name), parentGroupName ?? null, this.store.now().getTime());
    return this.getThingGroup(name) as GroupRecord;
  }

  getThingGroup(name: string): GroupRecord | undefined {
    const r = this.store.sql('SELECT * FROM thing_groups WHERE name = ?').get(name) as Row | undefined;
    return r ? groupFromRow(r) : undefined;
  }

  listThingGroups(): GroupRecord[] {
    return (this.store.sql('SELECT * FROM thing_groups ORDER BY name').all() as Row[]).map(groupFromRow);
  }

  createBillingGroup(name: string): GroupRecord {
    const existing = this.getBillingGroup(name);
    if (existing) return existing;
    this.store
      .sql('INSERT INTO billing_groups (name, group_id, arn, created_at) VALUES (?, ?, ?, ?)')
      .run(name, randomUUID(), this.store.arn('billinggroup', name), this.store.now().getTime());
    return this.getBillingGroup(name) as GroupRecord;
  }

  getBillingGroup(name: string): GroupRecord | undefined {
    const r = this.store.sql('SELECT * FROM billing_groups WHERE name = ?').get(name) as Row | undefined;
    return r ? groupFromRow(r) : undefined;
  }

  /**
   * Refuses names that do not exist, before anything is written: what a template names must exist
   * (AWS answers RegisterThing with ResourceNotFoundException naming the missing resource).
   */
  requireExisting(input: { thingTypeName?: string; thingGroups?: readonly string[]; billingGroupName?: string }): void {
    if (input.thingTypeName !== undefined && !this.getThingType(input.thingTypeName)) {
      throw new RegistryError(
        'ResourceNotFoundException',
        `Thing type ${input.thingTypeName} cannot be found. Create it first (CreateThingType).`,
      );
    }
    for (const g of input.thingGroups ?? []) {
      if (!this.getThingGroup(g))
        throw new RegistryError(
          'ResourceNotFoundException',
          `Thing group ${g} cannot be found. Create it first (CreateThingGroup).`,
        );
    }
    if (input.billingGroupName !== undefined && !this.getBillingGroup(input.billingGroupName)) {
      throw new RegistryError(
        'ResourceNotFoundException',
        `Billing group ${input.billingGroupName} cannot be found. Create it first (CreateBillingGroup).`,
      );
    }
  }
}
