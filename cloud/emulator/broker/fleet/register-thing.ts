/**
 * RegisterThing: the template must exist and be enabled, the ownership token must name a
 * certificate still there, the pre-provisioning hook (if any) must allow it; then the evaluated
 * template is applied and the token consumed in one registry transaction, so a failure leaves
 * nothing behind and the token usable. Checks run in this order, as each refusal names the first.
 */
import { X509Certificate } from 'node:crypto';
import type { CertificateRecord, ProvisioningTemplateRecord, Registry } from '../../registry/index.js';
import type { TemplatePlan } from '../../templates/index.js';
import { evaluateTemplate, TemplateError } from '../../templates/index.js';
import { applyPlan } from './apply.js';
import { certificateGone, FleetError, HOOK_REFUSED_ERROR_CODE, invalidOwnershipToken } from './errors.js';
import type { HookOptions } from './hook.js';
import { runPreProvisioningHook } from './hook.js';

/** Who asked: the claim certificate of the connection and its client id. */
export interface FleetCaller {
  certificate: Pick<CertificateRecord, 'certificateId'>;
  clientId: string;
}

/** A template mentions a certificate pseudo parameter other than the id. */
const SUBJECT_PSEUDO_PARAMETER_USE = /AWS::IoT::Certificate::(?!Id\b)/;

export async function registerThing(
  registry: Registry,
  hooks: HookOptions,
  templateName: string,
  req: Record<string, unknown>,
  caller: FleetCaller,
): Promise<Record<string, unknown>> {
  const template = enabledTemplate(registry, templateName);
  const token = ownershipTokenOf(req);
  const parameters = parametersOf(req);
  const cert = certificateOfToken(registry, token);
  const effective = await hookedParameters(template, cert, caller, parameters, hooks);
  const plan = planRegistration(registry, template, cert, effective);
  const applied = registry.transaction(() => {
    // Consumed inside the transaction: a token is spent only by a registration that happened.
    const consumed = registry.ownershipTokens.consume(token);
    if (!consumed.ok || consumed.certificateId !== cert.certificateId) throw invalidOwnershipToken();
    // With a hook, its verdict is re-checked here, atomically: of concurrent registrations of one
    // thing that all passed the hook, only the first to commit attaches an ACTIVE certificate.
    return applyPlan(registry, plan, {
      certificateId: cert.certificateId,
      templateName,
      exclusiveThing: template.preProvisioningHook !== undefined,
    });
  });
  return {
    deviceConfiguration: plan.deviceConfiguration,
    ...(applied.thingName !== undefined ? { thingName: applied.thingName } : {}),
  };
}

function enabledTemplate(registry: Registry, templateName: string): ProvisioningTemplateRecord {
  const template = registry.templates.get(templateName);
  if (!template || template.type !== 'FLEET_PROVISIONING')
    throw new FleetError(404, 'ResourceNotFound', `Template ${templateName} does not exist.`);
  if (!template.enabled) throw new FleetError(400, 'InvalidRequest', `Template ${templateName} is disabled.`);
  return template;
}

function ownershipTokenOf(req: Record<string, unknown>): string {
  const token = req.certificateOwnershipToken;
  if (typeof token !== 'string' || token.length === 0)
    throw new FleetError(400, 'InvalidCertificateOwnershipToken', 'Certificate ownership token cannot be empty.');
  return token;
}

/** The device's parameters: absent, or an object of strings. */
function parametersOf(req: Record<string, unknown>): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (req.parameters === undefined || req.parameters === null) return parameters;
  if (typeof req.parameters !== 'object' || Array.isArray(req.parameters))
    throw new FleetError(400, 'InvalidParameters', 'parameters must be an object of strings.');
  for (const [k, v] of Object.entries(req.parameters as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new FleetError(400, 'InvalidParameters', `Parameter ${k} must be a string.`);
    parameters[k] = v;
  }
  return parameters;
}

/** The certificate the token was issued with; the token is only looked at here, consumed at commit. */
function certificateOfToken(registry: Registry, token: string): CertificateRecord {
  const owned = registry.ownershipTokens.peek(token);
  if (!owned) throw invalidOwnershipToken();
  const cert = registry.certificates.get(owned.certificateId);
  if (!cert) throw certificateGone();
  return cert;
}

/** Runs the template's pre-provisioning hook, if any; its parameter overrides replace the device's. */
async function hookedParameters(
  template: ProvisioningTemplateRecord,
  cert: CertificateRecord,
  caller: FleetCaller,
  parameters: Record<string, string>,
  hooks: HookOptions,
): Promise<Record<string, string>> {
  if (!template.preProvisioningHook) return parameters;
  const verdict = await runPreProvisioningHook(
    template.preProvisioningHook.targetArn,
    {
      claimCertificateId: caller.certificate.certificateId,
      certificateId: cert.certificateId,
      certificatePem: cert.certificatePem,
      templateArn: template.templateArn,
      clientId: caller.clientId,
      parameters,
    },
    hooks,
  );
  // AWS IoT Developer Guide, "Pre-provisioning hooks": a hook that fails or does not return
  // "allowProvisioning": true makes the provisioning request fail with ACCESS_DENIED.
  if (!verdict.allowed) throw new FleetError(403, HOOK_REFUSED_ERROR_CODE, `Access denied: ${verdict.reason}.`);
  return { ...parameters, ...verdict.parameterOverrides };
}

function planRegistration(
  registry: Registry,
  template: ProvisioningTemplateRecord,
  cert: CertificateRecord,
  parameters: Record<string, string>,
): TemplatePlan {
  try {
    // Parsing the certificate is skipped unless the template uses its subject.
    const subject = SUBJECT_PSEUDO_PARAMETER_USE.test(template.templateBody)
      ? { certificateSubject: subjectFields(cert.certificatePem) }
      : {};
    return evaluateTemplate(template.templateBody, parameters, {
      certificateId: cert.certificateId,
      ...subject,
      region: registry.region,
      accountId: registry.accountId,
    });
  } catch (err) {
    if (err instanceof TemplateError) throw new FleetError(400, 'InvalidParameters', err.message);
    throw err;
  }
}

function subjectFields(pem: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of new X509Certificate(pem).subject.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
