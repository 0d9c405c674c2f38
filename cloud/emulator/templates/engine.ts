/**
 * Parses, validates and evaluates fleet-provisioning templates. {@link validateTemplate} runs at
 * CreateProvisioningTemplate / UpdateProvisioningTemplate / CreateProvisioningTemplateVersion time
 * (where AWS reports template errors); {@link evaluateTemplate} runs at RegisterThing and turns a
 * template plus the device's parameters into a plan of resources.
 */
import { TemplateError } from './errors.js';
import type { Resolved, Scope, Value } from './intrinsics.js';
import { asString, evaluateCondition, isIntrinsic, resolve } from './intrinsics.js';
import type {
  EvaluationContext,
  OverrideAction,
  ParameterType,
  PlannedCertificate,
  PlannedPolicy,
  PlannedThing,
  ResourceType,
  TemplatePlan,
} from './model.js';
import {
  ACCOUNT_PSEUDO_PARAMETERS,
  CERTIFICATE_ID_PARAMETER,
  PARAMETER_TYPES,
  RESOURCE_TYPES,
  SUBJECT_PSEUDO_PARAMETERS,
  TOP_LEVEL_KEYS,
} from './model.js';

/** AWS: templateBody is at most 10,240 characters. */
export const MAX_TEMPLATE_BODY_CHARS = 10_240;
/** AWS thing names: 1-128 characters of [a-zA-Z0-9:_-]. */
export const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;
/** AWS policy names: 1-128 characters of [\w+=,.@-]. */
export const POLICY_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;
/** AWS attribute names and values (thing AttributePayload). */
export const ATTRIBUTE_NAME_PATTERN = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
export const ATTRIBUTE_VALUE_PATTERN = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;

const OVERRIDE_ACTIONS: Record<string, readonly OverrideAction[]> = {
  AttributePayload: ['MERGE', 'REPLACE', 'DO_NOTHING', 'FAIL'],
  ThingTypeName: ['REPLACE', 'DO_NOTHING', 'FAIL'],
  ThingGroups: ['MERGE', 'REPLACE', 'DO_NOTHING', 'FAIL'],
};

type Obj = { [k: string]: Value };

interface ParameterSpec {
  type: ParameterType;
  default?: string;
}

interface Parsed {
  parameters: Record<string, ParameterSpec>;
  mappings: Record<string, Record<string, Record<string, Value>>>;
  conditions: Record<string, Value>;
  resources: Record<string, { type: ResourceType; properties: Obj; overrideSettings: Obj; condition?: string }>;
  deviceConfiguration: Obj;
}

function invalid(message: string): never {
  throw new TemplateError('InvalidRequestException', `The provisioning template is invalid: ${message}`);
}

/**
 * A certificate resource's `Status`, matched without regard to case: AWS's own examples write
 * `"Status": "Active"` (Developer Guide, "Provisioning templates",
 * https://docs.aws.amazon.com/iot/latest/developerguide/provision-template.html — the
 * CLI's `create-provisioning-template` example and the console's generated templates) and AWS
 * accepts them, while the API's enum spells it `ACTIVE`. Stored and reported upper-case.
 */
function certificateStatus(value: string | undefined, at: string): 'ACTIVE' | 'INACTIVE' {
  const status = (value ?? 'ACTIVE').toUpperCase();
  if (status !== 'ACTIVE' && status !== 'INACTIVE')
    invalid(`${at} must be ACTIVE or INACTIVE (any case, e.g. "Active")`);
  return status;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function parse(body: string): Parsed {
  if (typeof body !== 'string' || body.length === 0) invalid('templateBody is empty');
  if (body.length > MAX_TEMPLATE_BODY_CHARS)
    invalid(`templateBody is longer than ${MAX_TEMPLATE_BODY_CHARS} characters`);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    invalid('templateBody is not valid JSON');
  }
  if (!isObj(doc)) invalid('templateBody must be a JSON object');
  for (const key of Object.keys(doc))
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) invalid(`unknown top-level section ${key}`);

  const parameters: Record<string, ParameterSpec> = {};
  const rawParams = doc.Parameters ?? {};
  if (!isObj(rawParams)) invalid('Parameters must be an object');
  for (const [name, spec] of Object.entries(rawParams)) {
    if (!isObj(spec)) invalid(`Parameters.${name} must be an object`);
    const type = spec.Type;
    if (typeof type !== 'string' || !(PARAMETER_TYPES as readonly string[]).includes(type))
      invalid(`Parameters.${name}.Type must be one of ${PARAMETER_TYPES.join(', ')}`);
    const p: ParameterSpec = { type: type as ParameterType };
    if (spec.Default !== undefined) {
      if (typeof spec.Default !== 'string' && typeof spec.Default !== 'number')
        invalid(`Parameters.${name}.Default must be a string`);
      p.default = String(spec.Default);
      if (type === 'Number' && !Number.isFinite(Number(p.default)))
        invalid(`Parameters.${name}.Default is not a number`);
    }
    parameters[name] = p;
  }

  const mappings = (doc.Mappings ?? {}) as Parsed['mappings'];
  if (!isObj(mappings)) invalid('Mappings must be an object');
  for (const [name, top] of Object.entries(mappings)) {
    if (!isObj(top)) invalid(`Mappings.${name} must be an object`);
    for (const [k, second] of Object.entries(top))
      if (!isObj(second)) invalid(`Mappings.${name}.${k} must be an object`);
  }

  const conditions = doc.Conditions ?? {};
  if (!isObj(conditions)) invalid('Conditions must be an object');

  const rawResources = doc.Resources;
  if (!isObj(rawResources) || Object.keys(rawResources).length === 0) invalid('Resources must be a non-empty object');
  const resources: Parsed['resources'] = {};
  for (const [logicalId, r] of Object.entries(rawResources)) {
    if (!isObj(r)) invalid(`Resources.${logicalId} must be an object`);
    const type = r.Type;
    if (typeof type !== 'string' || !(RESOURCE_TYPES as readonly string[]).includes(type))
      invalid(`Resources.${logicalId}.Type must be one of ${RESOURCE_TYPES.join(', ')}`);
    const properties = r.Properties ?? {};
    if (!isObj(properties)) invalid(`Resources.${logicalId}.Properties must be an object`);
    const overrideSettings = r.OverrideSettings ?? {};
    if (!isObj(overrideSettings)) invalid(`Resources.${logicalId}.OverrideSettings must be an object`);
    const entry: Parsed['resources'][string] = {
      type: type as ResourceType,
      properties,
      overrideSettings,
    };
    if (r.Condition !== undefined) {
      if (typeof r.Condition !== 'string' || !(r.Condition in conditions))
        invalid(`Resources.${logicalId}.Condition names an undefined condition`);
      entry.condition = r.Condition;
    }
    resources[logicalId] = entry;
  }

  const deviceConfiguration = doc.DeviceConfiguration ?? {};
  if (!isObj(deviceConfiguration)) invalid('DeviceConfiguration must be an object');
  return { parameters, mappings, conditions, resources, deviceConfiguration };
}

function makeScope(parsed: Parsed, values: Record<string, Resolved> | undefined): Scope {
  const checking = values === undefined;
  const conditionCache = new Map<string, boolean>();
  const scope: Scope = {
    checking,
    mappings: parsed.mappings,
    hasCondition: (name) => name in parsed.conditions,
    condition: (name) => {
      let v = conditionCache.get(name);
      if (v === undefined) {
        v = evaluateCondition(parsed.conditions[name] as Value, scope, `Conditions.${name}`);
        conditionCache.set(name, v);
      }
      return v;
    },
    ref: (name) => {
      if (checking) {
        if (name in parsed.parameters)
          return parsed.parameters[name]?.type.startsWith('List') ||
            parsed.parameters[name]?.type === 'CommaDelimitedList'
            ? ['x']
            : 'x';
        if (
          name === CERTIFICATE_ID_PARAMETER ||
          name in SUBJECT_PSEUDO_PARAMETERS ||
          (ACCOUNT_PSEUDO_PARAMETERS as readonly string[]).includes(name)
        )
          return 'x';
        if (name in parsed.resources) return 'x';
        return undefined;
      }
      if (values && name in values) return values[name];
      if (name in parsed.resources) return resourceRef(parsed, name, scope);
      return undefined;
    },
  };
  return scope;
}

/** Ref to a resource's logical id: the thing name, certificate id or policy name. */
function resourceRef(parsed: Parsed, logicalId: string, scope: Scope): Resolved {
  const r = parsed.resources[logicalId];
  if (!r) return '';
  const key =
    r.type === 'AWS::IoT::Thing' ? 'ThingName' : r.type === 'AWS::IoT::Certificate' ? 'CertificateId' : 'PolicyName';
  const v = r.properties[key];
  return v === undefined ? '' : resolve(v, scope, `Resources.${logicalId}.Properties.${key}`);
}

function str(v: Value | undefined, scope: Scope, path: string): string | undefined {
  return v === undefined ? undefined : asString(resolve(v, scope, path), path);
}

type ParsedResource = Parsed['resources'][string];

const THING_PROPERTIES = [
  'ThingName',
  'AttributePayload',
  'ThingTypeName',
  'ThingGroups',
  'BillingGroup',
  'PackageVersions',
];

function planResources(parsed: Parsed, scope: Scope): Omit<TemplatePlan, 'parameters'> {
  const things: PlannedThing[] = [];
  const certificates: PlannedCertificate[] = [];
  const policies: PlannedPolicy[] = [];
  for (const [logicalId, r] of Object.entries(parsed.resources)) {
    if (r.condition !== undefined && !scope.checking && !scope.condition(r.condition)) continue;
    if (r.type === 'AWS::IoT::Thing') things.push(planThing(logicalId, r, scope));
    else if (r.type === 'AWS::IoT::Certificate') certificates.push(planCertificate(logicalId, r, scope));
    else policies.push(planPolicy(logicalId, r, scope));
  }
  if (things.length > 1) invalid('a template may declare at most one AWS::IoT::Thing');
  if (certificates.length > 1) invalid('a template may declare at most one AWS::IoT::Certificate');
  const deviceConfiguration: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.deviceConfiguration))
    deviceConfiguration[k] = asString(resolve(v, scope, `DeviceConfiguration.${k}`), `DeviceConfiguration.${k}`);
  return { things, certificates, policies, deviceConfiguration };
}

function planThing(logicalId: string, r: ParsedResource, scope: Scope): PlannedThing {
  const at = `Resources.${logicalId}`;
  const p = r.properties;
  for (const k of Object.keys(p))
    if (!THING_PROPERTIES.includes(k)) invalid(`${at}.Properties.${k} is not a property of AWS::IoT::Thing`);
  const thingName = str(p.ThingName, scope, `${at}.Properties.ThingName`);
  if (thingName === undefined) invalid(`${at}.Properties.ThingName is required`);
  const t: PlannedThing = { logicalId, thingName, overrideSettings: {} };
  if (p.AttributePayload !== undefined) {
    if (!isObj(p.AttributePayload)) invalid(`${at}.Properties.AttributePayload must be an object of name/value pairs`);
    t.attributes = {};
    for (const [k, v] of Object.entries(p.AttributePayload))
      t.attributes[k] = asString(
        resolve(v, scope, `${at}.Properties.AttributePayload.${k}`),
        `${at}.Properties.AttributePayload.${k}`,
      );
  }
  const typeName = str(p.ThingTypeName, scope, `${at}.Properties.ThingTypeName`);
  if (typeName !== undefined) t.thingTypeName = typeName;
  const billingGroup = str(p.BillingGroup, scope, `${at}.Properties.BillingGroup`);
  if (billingGroup !== undefined) t.billingGroup = billingGroup;
  if (p.ThingGroups !== undefined) {
    const g = resolve(p.ThingGroups, scope, `${at}.Properties.ThingGroups`);
    t.thingGroups = typeof g === 'string' ? [g] : g;
  }
  for (const [k, v] of Object.entries(r.overrideSettings)) {
    const allowed = OVERRIDE_ACTIONS[k];
    if (!allowed) invalid(`${at}.OverrideSettings.${k} is not an overridable property`);
    if (typeof v !== 'string' || !allowed.includes(v as OverrideAction))
      invalid(`${at}.OverrideSettings.${k} must be one of ${allowed.join(', ')}`);
    t.overrideSettings[k as keyof PlannedThing['overrideSettings']] = v as OverrideAction;
  }
  return t;
}

function planCertificate(logicalId: string, r: ParsedResource, scope: Scope): PlannedCertificate {
  const at = `Resources.${logicalId}`;
  const p = r.properties;
  const certificateId = str(p.CertificateId, scope, `${at}.Properties.CertificateId`);
  if (certificateId === undefined)
    invalid(`${at}.Properties.CertificateId is required (fleet provisioning: {"Ref": "${CERTIFICATE_ID_PARAMETER}"})`);
  const status = certificateStatus(str(p.Status, scope, `${at}.Properties.Status`), `${at}.Properties.Status`);
  return { logicalId, certificateId, status };
}

/** A policy resource names an existing policy or carries its document inline, never both. */
function planPolicy(logicalId: string, r: ParsedResource, scope: Scope): PlannedPolicy {
  const at = `Resources.${logicalId}`;
  const p = r.properties;
  const policyName = str(p.PolicyName, scope, `${at}.Properties.PolicyName`);
  const doc = p.PolicyDocument;
  if ((policyName === undefined) === (doc === undefined))
    invalid(`${at} needs exactly one of PolicyName and PolicyDocument`);
  if (policyName !== undefined) {
    if (!scope.checking && !POLICY_NAME_PATTERN.test(policyName))
      throw new TemplateError('InvalidParameters', `${at}.Properties.PolicyName is not a valid policy name`);
    return { logicalId, policyName };
  }
  return { logicalId, policyDocument: inlinePolicyDocument(doc as Value, scope, at) };
}

/**
 * An inline PolicyDocument's text. A literal one is checked when the template is validated; one
 * made by intrinsics only when it is evaluated (InvalidParameters then: the device's values made it).
 */
function inlinePolicyDocument(doc: Value, scope: Scope, at: string): string {
  const literal = typeof doc === 'string' || (isObj(doc) && !isIntrinsic(doc));
  const text =
    isObj(doc) && !isIntrinsic(doc)
      ? JSON.stringify(doc)
      : (str(doc, scope, `${at}.Properties.PolicyDocument`) as string);
  if (literal || !scope.checking) {
    let ok: boolean;
    try {
      const parsedDoc = JSON.parse(text) as unknown;
      ok = isObj(parsedDoc) && parsedDoc.Statement !== undefined;
    } catch {
      ok = false;
    }
    if (!ok && !scope.checking)
      throw new TemplateError('InvalidParameters', `${at}.Properties.PolicyDocument is not a valid policy document`);
    if (!ok) invalid(`${at}.Properties.PolicyDocument is not a valid policy document`);
  }
  return text;
}

/** Throws {@link TemplateError} (code InvalidRequestException, AWS-like message) if `body` is not a usable template. */
export function validateTemplate(body: string): void {
  const parsed = parse(body);
  const scope = makeScope(parsed, undefined);
  try {
    for (const [name, c] of Object.entries(parsed.conditions)) evaluateCondition(c, scope, `Conditions.${name}`);
    planResources(parsed, scope);
  } catch (err) {
    if (err instanceof TemplateError && err.code !== 'InvalidRequestException') invalid(err.message);
    throw err;
  }
}

/**
 * Evaluates a (validated) template for one RegisterThing: `parameters` are the device's (after any
 * pre-provisioning hook overrides). Throws TemplateError InvalidParameters for missing or
 * ill-typed parameters and for values that do not make valid resources.
 */
export function evaluateTemplate(
  body: string,
  parameters: Record<string, string>,
  context: EvaluationContext,
): TemplatePlan {
  const parsed = parse(body);
  const values: Record<string, Resolved> = {};
  const effective: Record<string, string> = {};
  for (const [name, spec] of Object.entries(parsed.parameters)) {
    if (name === CERTIFICATE_ID_PARAMETER || name in SUBJECT_PSEUDO_PARAMETERS) continue;
    const given = Object.prototype.hasOwnProperty.call(parameters, name) ? parameters[name] : spec.default;
    if (given === undefined) throw new TemplateError('InvalidParameters', `Missing value for parameter ${name}`);
    if (typeof given !== 'string') throw new TemplateError('InvalidParameters', `Parameter ${name} must be a string`);
    if (spec.type === 'Number' && (given.trim() === '' || !Number.isFinite(Number(given))))
      throw new TemplateError('InvalidParameters', `Parameter ${name} must be a number`);
    effective[name] = given;
    values[name] = spec.type === 'String' || spec.type === 'Number' ? given : given.split(',').map((s) => s.trim());
  }
  values[CERTIFICATE_ID_PARAMETER] = context.certificateId;
  for (const [pseudo, short] of Object.entries(SUBJECT_PSEUDO_PARAMETERS)) {
    const v = context.certificateSubject?.[short];
    if (v !== undefined) values[pseudo] = v;
  }
  values['AWS::Region'] = context.region;
  values['AWS::AccountId'] = context.accountId;
  values['AWS::Partition'] = 'aws';
  const scope = makeScope(parsed, values);
  let plan: Omit<TemplatePlan, 'parameters'>;
  try {
    plan = planResources(parsed, scope);
  } catch (err) {
    if (err instanceof TemplateError && err.code === 'InvalidTemplate')
      throw new TemplateError('InvalidParameters', err.message);
    throw err;
  }
  for (const t of plan.things) {
    if (!THING_NAME_PATTERN.test(t.thingName))
      throw new TemplateError(
        'InvalidParameters',
        `Thing name ${JSON.stringify(t.thingName)} does not match ${THING_NAME_PATTERN.source}`,
      );
    for (const [k, v] of Object.entries(t.attributes ?? {})) {
      if (!ATTRIBUTE_NAME_PATTERN.test(k) || !ATTRIBUTE_VALUE_PATTERN.test(v))
        throw new TemplateError('InvalidParameters', `Thing attribute ${k} has an invalid name or value`);
    }
  }
  return { ...plan, parameters: effective };
}
