/**
 * The fleet-provisioning MQTT API: CreateKeysAndCertificate, CreateCertificateFromCsr and
 * RegisterThing. Transport-free: the broker hands it a parsed request topic, the payload and who
 * asked, and publishes what it returns on `/accepted` or `/rejected` to the asking connection only.
 */
import { X509Certificate } from 'node:crypto';
import type { EmulatorCa } from '../../ca/index.js';
import { AWS_DEVICE_CERT_NOT_AFTER, CertificateRequestError } from '../../ca/index.js';
import type { CertificateRecord, Registry } from '../../registry/index.js';
import { isRegistryError } from '../../registry/index.js';
import { evaluateTemplate, TemplateError } from '../../templates/index.js';
import { applyPlan } from './apply.js';
import { decodePayload } from './codec.js';
import { FleetError, HOOK_REFUSED_ERROR_CODE } from './errors.js';
import type { HookOptions } from './hook.js';
import { runPreProvisioningHook } from './hook.js';
import type { FleetRequestTopic } from './topics.js';

export interface FleetCaller {
  certificate: CertificateRecord;
  clientId: string;
}

export type FleetReply =
  | { accepted: true; body: Record<string, unknown> }
  | { accepted: false; body: { statusCode: number; errorCode: string; errorMessage: string } };

export interface FleetServiceOptions {
  hooks?: HookOptions;
}

/** A template mentions a certificate pseudo parameter other than the id. */
const SUBJECT_PSEUDO_PARAMETER_USE = /AWS::IoT::Certificate::(?!Id\b)/;

function subjectFields(pem: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of new X509Certificate(pem).subject.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export class FleetProvisioningService {
  private readonly hooks: HookOptions;

  constructor(
    private readonly registry: Registry,
    private readonly ca: EmulatorCa,
    options: FleetServiceOptions = {},
  ) {
    this.hooks = options.hooks ?? {};
  }

  async handle(request: FleetRequestTopic, payload: Buffer, caller: FleetCaller): Promise<FleetReply> {
    try {
      let body: unknown;
      try {
        body = decodePayload(request.format, payload);
      } catch {
        throw new FleetError(
          400,
          'InvalidPayload',
          `The request payload is not valid ${request.format.toUpperCase()}.`,
        );
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new FleetError(400, 'InvalidPayload', 'The request payload must be an object.');
      const req = body as Record<string, unknown>;
      switch (request.operation) {
        case 'CreateKeysAndCertificate':
          return { accepted: true, body: await this.createKeysAndCertificate() };
        case 'CreateCertificateFromCsr':
          return { accepted: true, body: await this.createCertificateFromCsr(req) };
        case 'RegisterThing':
          return { accepted: true, body: await this.registerThing(request.templateName as string, req, caller) };
      }
    } catch (err) {
      if (err instanceof FleetError) return { accepted: false, body: err.toResponse() };
      // A registry conflict (e.g. a concurrent registration of the same thing) is the caller's to retry.
      if (isRegistryError(err))
        return {
          accepted: false,
          body: { statusCode: 400, errorCode: err.code.replace(/Exception$/, ''), errorMessage: err.message },
        };
      return {
        accepted: false,
        body: { statusCode: 500, errorCode: 'InternalFailure', errorMessage: 'An internal error occurred.' },
      };
    }
  }

  private async createKeysAndCertificate(): Promise<Record<string, unknown>> {
    const issued = await this.ca.createKeyPairAndCertificate({ validity: { notAfter: AWS_DEVICE_CERT_NOT_AFTER } });
    this.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'PENDING_ACTIVATION',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      caCertificateId: this.ca.caCertificateId,
    });
    const token = this.registry.ownershipTokens.create(issued.certificateId);
    return {
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      privateKey: issued.keyPair.PrivateKey,
      certificateOwnershipToken: token,
    };
  }

  private async createCertificateFromCsr(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    const csr = req.certificateSigningRequest;
    if (typeof csr !== 'string' || csr.length === 0)
      throw new FleetError(400, 'InvalidPayload', 'certificateSigningRequest is required.');
    let issued;
    try {
      issued = await this.ca.issueCertificate({ csrPem: csr, validity: { notAfter: AWS_DEVICE_CERT_NOT_AFTER } });
    } catch (err) {
      if (err instanceof CertificateRequestError) throw new FleetError(400, 'InvalidCsr', err.message);
      throw err;
    }
    this.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'PENDING_ACTIVATION',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      caCertificateId: this.ca.caCertificateId,
    });
    const token = this.registry.ownershipTokens.create(issued.certificateId);
    return {
      certificateOwnershipToken: token,
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
    };
  }

  private async registerThing(
    templateName: string,
    req: Record<string, unknown>,
    caller: FleetCaller,
  ): Promise<Record<string, unknown>> {
    const template = this.registry.templates.get(templateName);
    if (!template || template.type !== 'FLEET_PROVISIONING')
      throw new FleetError(404, 'ResourceNotFound', `Template ${templateName} does not exist.`);
    if (!template.enabled) throw new FleetError(400, 'InvalidRequest', `Template ${templateName} is disabled.`);
    const token = req.certificateOwnershipToken;
    if (typeof token !== 'string' || token.length === 0)
      throw new FleetError(400, 'InvalidCertificateOwnershipToken', 'Certificate ownership token cannot be empty.');
    const parameters: Record<string, string> = {};
    if (req.parameters !== undefined && req.parameters !== null) {
      if (typeof req.parameters !== 'object' || Array.isArray(req.parameters))
        throw new FleetError(400, 'InvalidParameters', 'parameters must be an object of strings.');
      for (const [k, v] of Object.entries(req.parameters as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new FleetError(400, 'InvalidParameters', `Parameter ${k} must be a string.`);
        parameters[k] = v;
      }
    }
    const owned = this.registry.ownershipTokens.peek(token);
    if (!owned)
      throw new FleetError(
        400,
        'InvalidCertificateOwnershipToken',
        'Certificate ownership token is invalid or has expired.',
      );
    const cert = this.registry.certificates.get(owned.certificateId);
    if (!cert)
      throw new FleetError(
        400,
        'InvalidCertificateOwnershipToken',
        'The certificate for this ownership token no longer exists.',
      );

    let effective = parameters;
    if (template.preProvisioningHook) {
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
        this.hooks,
      );
      // AWS IoT Developer Guide, "Pre-provisioning hooks": a hook that fails or does not return
      // "allowProvisioning": true makes the provisioning request fail with ACCESS_DENIED.
      if (!verdict.allowed) throw new FleetError(403, HOOK_REFUSED_ERROR_CODE, `Access denied: ${verdict.reason}.`);
      effective = { ...parameters, ...verdict.parameterOverrides };
    }

    let plan;
    try {
      // Parsing the certificate is skipped unless the template uses its subject.
      const subject = SUBJECT_PSEUDO_PARAMETER_USE.test(template.templateBody)
        ? { certificateSubject: subjectFields(cert.certificatePem) }
        : {};
      plan = evaluateTemplate(template.templateBody, effective, {
        certificateId: cert.certificateId,
        ...subject,
        region: this.registry.region,
        accountId: this.registry.accountId,
      });
    } catch (err) {
      if (err instanceof TemplateError) throw new FleetError(400, 'InvalidParameters', err.message);
      throw err;
    }

    const applied = this.registry.transaction(() => {
      // Consumed inside the transaction: a token is spent only by a registration that happened.
      const consumed = this.registry.ownershipTokens.consume(token);
      if (!consumed.ok || consumed.certificateId !== cert.certificateId) {
        throw new FleetError(
          400,
          'InvalidCertificateOwnershipToken',
          'Certificate ownership token is invalid or has expired.',
        );
      }
      // With a hook, its verdict is re-checked here, atomically: of concurrent registrations of one
      // thing that all passed the hook, only the first to commit attaches an ACTIVE certificate.
      return applyPlan(this.registry, plan, {
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
}
