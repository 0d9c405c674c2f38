/**
 * The fleet-provisioning MQTT API: CreateKeysAndCertificate, CreateCertificateFromCsr and
 * RegisterThing. Transport-free: the broker hands it a parsed request topic, the payload and who
 * asked, and publishes what it returns on `/accepted` or `/rejected` to the asking connection only.
 */
import type { EmulatorCa, IssuedCertificate } from '../../ca/index.js';
import { AWS_DEVICE_CERT_NOT_AFTER, CertificateRequestError } from '../../ca/index.js';
import type { Registry } from '../../registry/index.js';
import { isRegistryError } from '../../registry/index.js';
import { decodePayload } from './codec.js';
import { FleetError } from './errors.js';
import type { HookOptions } from './hook.js';
import type { FleetCaller } from './register-thing.js';
import { registerThing } from './register-thing.js';
import type { FleetRequestTopic } from './topics.js';

export type { FleetCaller } from './register-thing.js';

export type FleetReply =
  | { accepted: true; body: Record<string, unknown> }
  | { accepted: false; body: { statusCode: number; errorCode: string; errorMessage: string } };

export interface FleetServiceOptions {
  hooks?: HookOptions;
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
          return {
            accepted: true,
            body: await registerThing(this.registry, this.hooks, request.templateName as string, req, caller),
          };
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
    return {
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      privateKey: issued.keyPair.PrivateKey,
      certificateOwnershipToken: this.recordIssued(issued),
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
    return {
      certificateOwnershipToken: this.recordIssued(issued),
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
    };
  }

  /** Stores a newly issued certificate PENDING_ACTIVATION and returns its ownership token. */
  private recordIssued(issued: IssuedCertificate): string {
    // One transaction, one commit: the certificate and its token are stored together or not at all.
    return this.registry.transaction(() => {
      this.registry.certificates.insert({
        certificateId: issued.certificateId,
        certificatePem: issued.certificatePem,
        status: 'PENDING_ACTIVATION',
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        caCertificateId: this.ca.caCertificateId,
      });
      return this.registry.ownershipTokens.create(issued.certificateId);
    });
  }
}
