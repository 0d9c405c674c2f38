/**
 * Applies an evaluated template plan to the registry: creates or updates the thing (per
 * OverrideSettings), sets the certificate's status, creates inline policies, attaches policies to
 * the certificate and the certificate to the thing. Call inside `registry.transaction` so a failure
 * leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import type { Registry, ThingPatch } from '../../registry/index.js';
import type { TemplatePlan } from '../../templates/index.js';
import { FleetError, HOOK_REFUSED_ERROR_CODE } from './errors.js';

export interface AppliedProvisioning {
  thingName?: string;
}

export interface ApplyTarget {
  certificateId: string;
  templateName: string;
  /** Refuse (ACCESS_DENIED) when the thing already has another ACTIVE certificate attached. */
  exclusiveThing?: boolean;
}

/** Certificates attached to `thingName`, other than `certificateId`, that are ACTIVE. */
function otherActiveCertificates(registry: Registry, thingName: string, certificateId: string): string[] {
  return registry.things
    .listPrincipals(thingName)
    .map((arn) => /:cert\/([a-f0-9]{64})$/.exec(arn)?.[1])
    .filter(
      (id): id is string =>
        id !== undefined && id !== certificateId && registry.certificates.get(id)?.status === 'ACTIVE',
    );
}

export function applyPlan(registry: Registry, plan: TemplatePlan, target: ApplyTarget): AppliedProvisioning {
  const cert = registry.certificates.get(target.certificateId);
  if (!cert)
    throw new FleetError(
      400,
      'InvalidCertificateOwnershipToken',
      'The certificate for this ownership token no longer exists.',
    );
  const planned = plan.things[0];
  if (
    target.exclusiveThing &&
    planned &&
    otherActiveCertificates(registry, planned.thingName, target.certificateId).length > 0
  ) {
    throw new FleetError(
      403,
      HOOK_REFUSED_ERROR_CODE,
      `Access denied: thing ${planned.thingName} was registered by a concurrent request.`,
    );
  }
  requireNamedResources(registry, plan);

  for (const c of plan.certificates) {
    if (c.certificateId !== target.certificateId) {
      throw new FleetError(
        400,
        'InvalidParameters',
        'The template certificate resource must reference AWS::IoT::Certificate::Id.',
      );
    }
    registry.certificates.updateStatus(target.certificateId, c.status);
  }

  const policyNames: string[] = [];
  for (const p of plan.policies) {
    if (p.policyName !== undefined) {
      if (!registry.policies.get(p.policyName))
        throw new FleetError(
          400,
          'ResourceNotFound',
          `Policy ${p.policyName} referenced by the template does not exist.`,
        );
      policyNames.push(p.policyName);
    } else if (p.policyDocument !== undefined) {
      // Inline policies get a stable name from their content, so re-provisioning reuses them.
      const name =
        `${target.templateName}_${p.logicalId}_${createHash('sha256').update(p.policyDocument).digest('hex').slice(0, 16)}`.slice(
          0,
          128,
        );
      if (!registry.policies.get(name)) registry.policies.create(name, p.policyDocument);
      policyNames.push(name);
    }
  }
  for (const name of policyNames) registry.policies.attach(name, cert.certificateArn);

  const thing = plan.things[0];
  if (!thing) return {};
  const existing = registry.things.get(thing.thingName);
  if (!existing) {
    registry.things.create({
      thingName: thing.thingName,
      ...(thing.attributes ? { attributes: thing.attributes } : {}),
      ...(thing.thingTypeName !== undefined ? { thingTypeName: thing.thingTypeName } : {}),
      ...(thing.thingGroups ? { thingGroups: thing.thingGroups } : {}),
      ...(thing.billingGroup !== undefined ? { billingGroupName: thing.billingGroup } : {}),
    });
  } else {
    const o = thing.overrideSettings;
    if (o.AttributePayload === 'FAIL' || o.ThingTypeName === 'FAIL' || o.ThingGroups === 'FAIL') {
      throw new FleetError(
        400,
        'ResourceAlreadyExists',
        `Thing ${thing.thingName} already exists and the template's OverrideSettings say FAIL.`,
      );
    }
    const patch: ThingPatch = {};
    if (thing.attributes && (o.AttributePayload === 'MERGE' || o.AttributePayload === 'REPLACE')) {
      patch.attributes = thing.attributes;
      patch.merge = o.AttributePayload === 'MERGE';
    }
    if (thing.thingTypeName !== undefined && o.ThingTypeName === 'REPLACE') patch.thingTypeName = thing.thingTypeName;
    if (thing.thingGroups && (o.ThingGroups === 'MERGE' || o.ThingGroups === 'REPLACE')) {
      patch.thingGroups = thing.thingGroups;
      patch.replaceGroups = o.ThingGroups === 'REPLACE';
    }
    if (Object.keys(patch).length > 0) registry.things.update(thing.thingName, patch);
  }
  registry.things.attachPrincipal(thing.thingName, cert.certificateArn);
  return { thingName: thing.thingName };
}

/**
 * The thing type, thing groups and billing group a template names must exist before anything is
 * applied (AWS Developer Guide, "Provisioning templates", thing resources: they are referenced, not
 * created). The emulator answers RegisterThing with `ResourceNotFound` naming the missing one; AWS
 * does not document the errorCode of this case, so it is the emulator's choice, written in
 * cloud/emulator/README.md.
 */
function requireNamedResources(registry: Registry, plan: TemplatePlan): void {
  const thing = plan.things[0];
  if (!thing) return;
  try {
    registry.groups.requireExisting({
      ...(thing.thingTypeName !== undefined ? { thingTypeName: thing.thingTypeName } : {}),
      ...(thing.thingGroups ? { thingGroups: thing.thingGroups } : {}),
      ...(thing.billingGroup !== undefined ? { billingGroupName: thing.billingGroup } : {}),
    });
  } catch (err) {
    throw new FleetError(400, 'ResourceNotFound', (err as Error).message);
  }
}
