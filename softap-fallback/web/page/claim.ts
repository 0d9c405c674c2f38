/**
 * Assembles the claim message from the picked (or pasted) files and the endpoint fields, checking
 * everything before any byte leaves the phone. A file is refused by its size before it is read.
 */
import { encodeMessage, isProvisioningError } from '../../../protocol/index.js';
import type { ClaimMessage } from '../../../protocol/index.js';
import { FieldError } from './form.js';
import type { Endpoint, FieldId } from './form.js';
import { checkCaPem, checkCertificatePem, checkFileSize, checkPrivateKeyPem } from './pem.js';
import type { PemSlot } from './pem.js';

/** `expiresAt` travels as a 32-bit count of seconds (PROTOCOL.md §5.5). */
const MAX_EXPIRES_AT_S = 0xffff_ffff;

/** What the person gave for one PEM: a picked file, pasted text, or nothing. */
export type PemSource = { readonly file: File } | { readonly text: string } | undefined;

export interface ClaimInput {
  readonly certificate: PemSource;
  readonly privateKey: PemSource;
  readonly ca: PemSource;
  readonly endpoint: Endpoint;
  readonly now: number;
}

const FIELD: Record<PemSlot, FieldId> = { certificate: 'cert-file', privateKey: 'key-file', ca: 'ca-file' };

async function readPem(slot: PemSlot, source: PemSource): Promise<string | undefined> {
  if (source === undefined) return undefined;
  if ('text' in source) return source.text.trim() === '' ? undefined : source.text;
  try {
    checkFileSize(slot, source.file.size);
  } catch (err) {
    throw asField(slot, err);
  }
  return source.file.text();
}

function asField(slot: PemSlot, err: unknown): unknown {
  return isProvisioningError(err) ? new FieldError(FIELD[slot], err.code, err.detail ?? err.message) : err;
}

function checked<T>(slot: PemSlot, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw asField(slot, err);
  }
}

export async function buildClaim(input: ClaimInput): Promise<ClaimMessage> {
  const certText = await readPem('certificate', input.certificate);
  if (certText === undefined)
    throw new FieldError('cert-file', 'CLAIM_INVALID', 'choose the claim certificate file (or paste it)');
  const keyText = await readPem('privateKey', input.privateKey);
  if (keyText === undefined)
    throw new FieldError('key-file', 'CLAIM_INVALID', 'choose the private key file (or paste it)');
  const caText = await readPem('ca', input.ca);
  const certificate = checked('certificate', () => checkCertificatePem(certText, input.now));
  const privateKeyPem = checked('privateKey', () => checkPrivateKeyPem(keyText));
  const caPem = caText === undefined ? undefined : checked('ca', () => checkCaPem(caText));
  const claim: ClaimMessage = {
    type: 'claim',
    certificatePem: certificate.pem,
    privateKeyPem,
    ...(caPem !== undefined ? { caPem } : {}),
    host: input.endpoint.host,
    port: input.endpoint.port,
    templateName: input.endpoint.templateName,
    parameters: input.endpoint.parameters,
    expiresAt: Math.min(MAX_EXPIRES_AT_S, Math.floor(certificate.notAfter / 1000)),
  };
  // The codec's own validation, so the device can never answer MESSAGE_INVALID to what we checked.
  try {
    encodeMessage(claim);
  } catch (err) {
    throw new FieldError(
      'cert-file',
      'CLAIM_INVALID',
      `the claim does not fit the protocol (${isProvisioningError(err) ? (err.detail ?? err.code) : 'unknown'})`,
    );
  }
  return claim;
}
