/**
 * Things and their principal attachments (AttachThingPrincipal): AWS's thing registry. A thing's
 * attributes and groups are stored as JSON; every update bumps its version (UpdateThing's
 * `expectedVersion`).
 */
import { randomUUID } from 'node:crypto';
import { RegistryError } from './errors.js';
import type { Row, RegistryStore } from './store.js';
import { date, opt, str } from './store.js';
import type { NewThing, ThingPatch, ThingRecord } from './types.js';

export class ThingRepository {
  constructor(private readonly store: RegistryStore) {}

  create(input: NewThing): ThingRecord {
    if (this.get(input.thingName))
      throw new RegistryError('ResourceAlreadyExistsException', `Thing ${input.thingName} already exists`);
    this.store
      .sql(
        'INSERT INTO things (name, thing_id, arn, attributes, thing_type_name, groups, billing_group, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)',
      )
      .run(
        input.thingName,
        randomUUID(),
        this.store.arn('thing', input.thingName),
        JSON.stringify(input.attributes ?? {}),
        input.thingTypeName ?? null,
        JSON.stringify(input.thingGroups ?? []),
        input.billingGroupName ?? null,
        this.store.now().getTime(),
      );
    return this.get(input.thingName) as ThingRecord;
  }

  get(thingName: string): ThingRecord | undefined {
    const row = this.store.sql('SELECT * FROM things WHERE name = ?').get(thingName) as Row | undefined;
    return row ? thingFromRow(row) : undefined;
  }

  require(thingName: string): ThingRecord {
    const t = this.get(thingName);
    if (!t) throw new RegistryError('ResourceNotFoundException', `Thing ${thingName} cannot be found.`);
    return t;
  }

  list(): ThingRecord[] {
    return (this.store.sql('SELECT * FROM things ORDER BY name').all() as Row[]).map(thingFromRow);
  }

  /** Replaces attributes (merge = false) or merges them (AWS UpdateThing merge), bumping the version. */
  update(thingName: string, patch: ThingPatch): ThingRecord {
    const thing = this.require(thingName);
    checkVersion(thing, patch.expectedVersion);
    let attributes = thing.attributes;
    if (patch.attributes) {
      attributes = patch.merge ? { ...thing.attributes, ...patch.attributes } : { ...patch.attributes };
      for (const [k, v] of Object.entries(attributes)) if (v === '') delete attributes[k];
    }
    const typeName = patch.thingTypeName === undefined ? (thing.thingTypeName ?? null) : patch.thingTypeName;
    const groups = patch.thingGroups
      ? [...new Set([...(patch.replaceGroups ? [] : thing.thingGroups), ...patch.thingGroups])]
      : thing.thingGroups;
    this.store
      .sql('UPDATE things SET attributes = ?, thing_type_name = ?, groups = ?, version = version + 1 WHERE name = ?')
      .run(JSON.stringify(attributes), typeName, JSON.stringify(groups), thingName);
    return this.require(thingName);
  }

  delete(thingName: string, expectedVersion?: number): void {
    const thing = this.get(thingName);
    if (!thing) return; // AWS: DeleteThing of a missing thing succeeds.
    checkVersion(thing, expectedVersion);
    if (this.listPrincipals(thingName).length > 0) {
      throw new RegistryError(
        'InvalidRequestException',
        `Cannot delete thing ${thingName}: it still has principals attached.`,
      );
    }
    this.store.sql('DELETE FROM things WHERE name = ?').run(thingName);
  }

  attachPrincipal(thingName: string, principalArn: string): void {
    this.require(thingName);
    this.store
      .sql('INSERT OR IGNORE INTO thing_principals (thing_name, principal) VALUES (?, ?)')
      .run(thingName, principalArn);
  }

  detachPrincipal(thingName: string, principalArn: string): void {
    this.store.sql('DELETE FROM thing_principals WHERE thing_name = ? AND principal = ?').run(thingName, principalArn);
  }

  /** The principals (certificate ARNs) attached to a thing. */
  listPrincipals(thingName: string): string[] {
    return (
      this.store
        .sql('SELECT principal FROM thing_principals WHERE thing_name = ? ORDER BY principal')
        .all(thingName) as Row[]
    ).map((r) => str(r.principal));
  }

  /** The things a principal is attached to (AWS ListPrincipalThings). */
  listByPrincipal(principalArn: string): string[] {
    return (
      this.store
        .sql('SELECT thing_name FROM thing_principals WHERE principal = ? ORDER BY thing_name')
        .all(principalArn) as Row[]
    ).map((r) => str(r.thing_name));
  }
}

function checkVersion(thing: ThingRecord, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== thing.version) {
    throw new RegistryError(
      'VersionConflictException',
      `The version for thing ${thing.thingName} does not match the expected version.`,
    );
  }
}

function thingFromRow(r: Row): ThingRecord {
  const t: ThingRecord = {
    thingName: str(r.name),
    thingId: str(r.thing_id),
    thingArn: str(r.arn),
    attributes: JSON.parse(str(r.attributes)) as Record<string, string>,
    thingGroups: JSON.parse(str(r.groups)) as string[],
    version: r.version as number,
    createdAt: date(r.created_at),
  };
  const type = opt(r.thing_type_name);
  if (type !== undefined) t.thingTypeName = type;
  const billing = opt(r.billing_group);
  if (billing !== undefined) t.billingGroupName = billing;
  return t;
}
