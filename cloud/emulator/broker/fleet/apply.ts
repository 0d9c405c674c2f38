/**
 * Applies an evaluated template plan to the registry: creates or updates the thing (per
 * OverrideSettings), sets the certificate's status, creates inline policies, attaches policies to
 * the certificate and the certificate to the thing. Call inside `registry.transaction` so a failure
 * leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import type { CertificateRecord, Registry, ThingPatch } from '../../registry/index.js';
import type { PlannedThing, TemplatePlan } from '../../templates/index.js';
import { certificateGone, FleetError, HOOK_REFUSED_ERROR_CODE } from './errors.js';

export interface AppliedProvisioning {
  thingName?: string;
}

export interface ApplyTarget {
  certificateId: string;
  templateName: string;
  /** Refuse (ACCESS_DENIED) when the thing already has another ACTIVE certificate attached. */
  exclusiveThing?: boolean;
}

/** Applies `plan` for the certificate of `target`; checks come first, in the order AWS reports them. */
export function applyPlan(registry: Registry, plan: TemplatePlan, target: ApplyTarget): AppliedProvisioning {
  const cert = requireTargetCertificate(registry, target.certificateId);
  if (target.exclusiveThing) refuseTakenThing(registry, plan, target.certificateId);
  requireNamedResources(registry, plan);
  applyCertificateStatus(registry, plan, target.certificateId);
  for (const name of policyNamesOf(registry, plan, target.templateName))
    registry.policies.attach(name, cert.certificateArn);
  const thing = plan.things[0];
  if (!thing) return {};
  createOrUpdateThing(registry, thing);
  registry.things.attachPrincipal(thing.thingName, cert.certificateArn);
  return { thingName: thing.thingName };
}

function requireTargetCertificate(registry: Registry, certificateId: string): CertificateRecord {
  const cert = registry.certificates.get(certificateId);
  if (!cert) throw certificateGone();
  return cert;
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

/** A thing that already has another ACTIVE certificate was registered by a concurrent request. */
function refuseTakenThing(registry: Registry, plan: TemplatePlan, certificateId: string): void {
  const planned = plan.things[0];
  if (planned && otherActiveCertificates(registry, planned.thingName, certificateId).length > 0) {
    throw new FleetError(
      403,
      HOOK_REFUSED_ERROR_CODE,
      `Access denied: thing ${planned.thingName} was registered by a concurrent request.`,
    );
  }
}

/** The template's certificate resource is the certificate being registered: its status is set. */
function applyCertificateStatus(registry: Registry, plan: TemplatePlan, certificateId: string): void {
  for (const c of plan.certificates) {
    if (c.certificateId !== certificateId) {
      throw new FleetError(
        400,
        'InvalidParameters',
        'The template certificate resource must reference AWS::IoT::Certificate::Id.',
      );
    }
    registry.certificates.updateStatus(certificateId, c.status);
  }
}

/** The policies to attach: named ones must exist; inline ones are created (or reused) under a stable name. */
function policyNamesOf(registry: Registry, plan: TemplatePlan, templateName: string): string[] {
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
      const name = inlinePolicyName(templateName, p.logicalId, p.policyDocument);
      if (!registry.policies.get(name)) registry.policies.create(name, p.policyDocument);
      policyNames.push(name);
    }
  }
  return policyNames;
}

/** Inline policies get a stable name from their content, so re-provisioning reuses them. */
function inlinePolicyName(templateName: string, logicalId: string, document: string): string {
  const hash = createHash('sha256').update(document).digest('hex').slice(0, 16);
  return `${templateName}_${logicalId}_${hash}`.slice(0, 128);
}

function createOrUpdateThing(registry: Registry, thing: PlannedThing): void {
  if (!registry.things.get(thing.thingName)) {
    registry.things.create({
      thingName: thing.thingName,
      ...(thing.attributes ? { attributes: thing.attributes } : {}),
      ...(thing.thingTypeName !== undefined ? { thingTypeName: thing.thingTypeName } : {}),
      ...(thing.thingGroups ? { thingGroups: thing.thingGroups } : {}),
      ...(thing.billingGroup !== undefined ? { billingGroupName: thing.billingGroup } : {}),
    });
    return;
  }
  const patch = overridePatch(thing);
  if (Object.keys(patch).length > 0) registry.things.update(thing.thingName, patch);
}

/** What the template's OverrideSettings change on an existing thing (absent means DO_NOTHING). */
function overridePatch(thing: PlannedThing): ThingPatch {
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
  return patch;
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
