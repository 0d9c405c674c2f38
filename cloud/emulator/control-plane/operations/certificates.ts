/** CreateKeysAndCertificate/DescribeCertificate/ListCertificates/UpdateCertificate/DeleteCertificate. */
import { AWS_DEVICE_CERT_NOT_AFTER } from '../../ca/index.js';
import type { CertificateRecord, CertificateStatus } from '../../registry/index.js';
import {
  awsError,
  invalidRequest,
  notFound,
  epochSeconds,
  iotArn,
  paginate,
  CERTIFICATE_ID,
  PAGE_SIZE,
  checkName,
  queryBoolean,
  queryInteger,
} from '../contract/index.js';
import type { ControlPlaneContext, Operation } from '../contract/index.js';

/** The values UpdateCertificate's newStatus accepts (service model enum). */
const STATUS_ENUM = [
  'ACTIVE',
  'INACTIVE',
  'REVOKED',
  'PENDING_TRANSFER',
  'REGISTER_INACTIVE',
  'PENDING_ACTIVATION',
] as const;
/** AWS: "PENDING_TRANSFER and PENDING_ACTIVATION are statuses used internally by AWS IoT" — refused here. */
const INTERNAL_STATUSES = new Set(['PENDING_TRANSFER', 'PENDING_ACTIVATION']);

function certResource(ctx: ControlPlaneContext, id: string): string {
  return iotArn(ctx, `cert/${id}`);
}

function require(ctx: ControlPlaneContext, id: string): CertificateRecord {
  const c = ctx.registry.certificates.get(id);
  if (c === undefined) throw notFound(`The certificate does not exist: ${id}`);
  return c;
}

export const describeCertificate: Operation = {
  name: 'DescribeCertificate',
  method: 'GET',
  path: '/certificates/{certificateId}',
  prepare({ labels }, ctx) {
    const id = checkName(labels.certificateId ?? '', 'certificateId', CERTIFICATE_ID);
    return {
      permissions: [{ action: 'iot:DescribeCertificate', resource: certResource(ctx, id) }],
      run() {
        const c = require(ctx, id);
        return {
          certificateDescription: {
            certificateArn: c.certificateArn,
            certificateId: c.certificateId,
            ...(c.caCertificateId !== undefined ? { caCertificateId: c.caCertificateId } : {}),
            status: c.status,
            certificatePem: c.certificatePem,
            ownedBy: c.ownedBy,
            creationDate: epochSeconds(c.creationDate),
            lastModifiedDate: epochSeconds(c.lastModifiedDate),
            customerVersion: 1,
            transferData: {},
            generationId: `${c.certificateId.slice(0, 8)}-${c.lastModifiedDate.getTime()}`,
            validity: { notBefore: epochSeconds(c.notBefore), notAfter: epochSeconds(c.notAfter) },
            certificateMode: 'DEFAULT',
          },
        };
      },
    };
  },
};

export const listCertificates: Operation = {
  name: 'ListCertificates',
  method: 'GET',
  path: '/certificates',
  prepare({ query }, ctx) {
    const pageSize = queryInteger(query, 'pageSize', PAGE_SIZE);
    const ascending = queryBoolean(query, 'isAscendingOrder') ?? false;
    return {
      permissions: [{ action: 'iot:ListCertificates', resource: '*' }],
      run() {
        const all = ctx.registry.certificates.list();
        if (!ascending) all.reverse();
        const { page, next } = paginate(all, query.get('marker'), pageSize);
        return {
          certificates: page.map((c) => ({
            certificateArn: c.certificateArn,
            certificateId: c.certificateId,
            status: c.status,
            certificateMode: 'DEFAULT',
            creationDate: epochSeconds(c.creationDate),
          })),
          ...(next !== undefined ? { nextMarker: next } : {}),
        };
      },
    };
  },
};

export const updateCertificate: Operation = {
  name: 'UpdateCertificate',
  method: 'PUT',
  path: '/certificates/{certificateId}',
  prepare({ labels, query }, ctx) {
    const id = checkName(labels.certificateId ?? '', 'certificateId', CERTIFICATE_ID);
    const newStatus = query.get('newStatus');
    if (newStatus === undefined)
      throw invalidRequest(
        "1 validation error detected: Value null at 'newStatus' failed to satisfy constraint: Member must not be null",
      );
    if (!(STATUS_ENUM as readonly string[]).includes(newStatus)) {
      throw invalidRequest(
        `1 validation error detected: Value '${newStatus}' at 'newStatus' failed to satisfy constraint: Member must satisfy enum value set: [${STATUS_ENUM.join(', ')}]`,
      );
    }
    return {
      permissions: [{ action: 'iot:UpdateCertificate', resource: certResource(ctx, id) }],
      run() {
        const current = require(ctx, id);
        if (INTERNAL_STATUSES.has(newStatus))
          throw invalidRequest(`The certificate status cannot be set to ${newStatus}`);
        if (current.status === 'PENDING_TRANSFER')
          throw awsError('CertificateStateException', 'Certificate is pending transfer and cannot be updated.');
        ctx.registry.certificates.updateStatus(id, newStatus as CertificateStatus);
        return undefined;
      },
    };
  },
};

/**
 * DeleteCertificate (AWS IoT API Reference): "A certificate cannot be deleted if it has a policy or
 * IoT thing attached to it or if its status is set to ACTIVE" (CertificateStateException for an
 * active one, DeleteConflictException for attachments). `forceDelete` detaches the policies first;
 * a thing must still be detached with DetachThingPrincipal.
 */
export const deleteCertificate: Operation = {
  name: 'DeleteCertificate',
  method: 'DELETE',
  path: '/certificates/{certificateId}',
  prepare({ labels, query }, ctx) {
    const id = checkName(labels.certificateId ?? '', 'certificateId', CERTIFICATE_ID);
    const force = queryBoolean(query, 'forceDelete') ?? false;
    return {
      permissions: [{ action: 'iot:DeleteCertificate', resource: certResource(ctx, id) }],
      run() {
        const c = require(ctx, id);
        ctx.registry.transaction(() => {
          if (force && c.status !== 'ACTIVE' && ctx.registry.things.listByPrincipal(c.certificateArn).length === 0) {
            for (const p of ctx.registry.policies.listAttached(c.certificateArn))
              ctx.registry.policies.detach(p.policyName, c.certificateArn);
          }
          ctx.registry.certificates.delete(id);
        });
        return undefined;
      },
    };
  },
};

/** CreateKeysAndCertificate: an RSA-2048 key pair and a certificate from the emulator's CA, as AWS issues them. */
export const createKeysAndCertificate: Operation = {
  name: 'CreateKeysAndCertificate',
  method: 'POST',
  path: '/keys-and-certificate',
  prepare({ query }, ctx) {
    const setAsActive = queryBoolean(query, 'setAsActive') ?? false;
    return {
      permissions: [{ action: 'iot:CreateKeysAndCertificate', resource: '*' }],
      async run() {
        const issued = await ctx.ca.createKeyPairAndCertificate({ validity: { notAfter: AWS_DEVICE_CERT_NOT_AFTER } });
        const c = ctx.registry.certificates.insert({
          certificateId: issued.certificateId,
          certificatePem: issued.certificatePem,
          status: setAsActive ? 'ACTIVE' : 'INACTIVE',
          notBefore: issued.notBefore,
          notAfter: issued.notAfter,
          caCertificateId: ctx.ca.caCertificateId,
        });
        return {
          certificateArn: c.certificateArn,
          certificateId: c.certificateId,
          certificatePem: c.certificatePem,
          keyPair: issued.keyPair,
        };
      },
    };
  },
};
