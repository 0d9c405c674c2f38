/**
 * Certificate signing requests (CreateCertificateFromCsr): the request's self-signature must verify
 * and its key must be one AWS IoT accepts (EC P-256/P-384/P-521, RSA of 2048 bits or more). The
 * common requests (PEM; ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512) are checked with node:crypto
 * on the request's own bytes; anything else goes through @peculiar/x509, which decides it as before.
 */
import { verify } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { bitStringBytes, expectChildren, readWhole, TAG } from './der.js';
import type { SpkiKey } from './spki.js';
import { importSpki } from './spki.js';

/** Largest CSR accepted, in characters of PEM (AWS: 4 KiB for certificateSigningRequest). */
export const MAX_CSR_PEM_CHARS = 4096;

/** Why a CSR or key was refused; `awsErrorCode` is what the fleet-provisioning API reports. */
export class CertificateRequestError extends Error {
  readonly awsErrorCode = 'InvalidCsr';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CertificateRequestError';
  }
}

/** What a certificate takes from an accepted request: its subject and public key, as DER. */
export interface CheckedCsr {
  /** The request's subject Name (an empty one is a SEQUENCE with no content). */
  subjectDer: Buffer;
  /** The request's SubjectPublicKeyInfo. */
  spkiDer: Buffer;
}

/** Checks a PEM CSR (see the file comment); throws {@link CertificateRequestError}. */
export async function checkCsr(csrPem: string): Promise<CheckedCsr> {
  if (typeof csrPem !== 'string' || csrPem.length === 0 || csrPem.length > MAX_CSR_PEM_CHARS) {
    throw new CertificateRequestError('Invalid certificate signing request: missing or too large');
  }
  const checked = checkCommonCsr(csrPem);
  if (checked) return checked;
  const csr = await parseCsr(csrPem);
  return {
    subjectDer: Buffer.from(new x509.Name(csr.subject).toArrayBuffer()),
    spkiDer: Buffer.from(csr.publicKey.rawData),
  };
}

const PEM_CSR =
  /^\s*-----BEGIN CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE REQUEST-----\s*$/;

/** Signature algorithm OIDs (DER content, hex) checked natively: the hash and the key type they go with. */
const COMMON_SIGNATURES = new Map<string, { hash: string; keyType: 'ec' | 'rsa' }>([
  ['2a8648ce3d040302', { hash: 'sha256', keyType: 'ec' }], // ecdsa-with-SHA256
  ['2a8648ce3d040303', { hash: 'sha384', keyType: 'ec' }], // ecdsa-with-SHA384
  ['2a8648ce3d040304', { hash: 'sha512', keyType: 'ec' }], // ecdsa-with-SHA512
  ['2a864886f70d01010b', { hash: 'sha256', keyType: 'rsa' }], // sha256WithRSAEncryption
  ['2a864886f70d01010c', { hash: 'sha384', keyType: 'rsa' }], // sha384WithRSAEncryption
  ['2a864886f70d01010d', { hash: 'sha512', keyType: 'rsa' }], // sha512WithRSAEncryption
]);
const SUPPORTED_CURVES = ['prime256v1', 'secp384r1', 'secp521r1'];

function supportedKey(key: SpkiKey, keyType: 'ec' | 'rsa'): boolean {
  if (key.keyType !== keyType) return false;
  return keyType === 'ec' ? SUPPORTED_CURVES.includes(key.namedCurve ?? '') : (key.modulusLength ?? 0) >= 2048;
}

/** A common request that verifies, or undefined: not common, or refused (the general path says why). */
function checkCommonCsr(csrPem: string): CheckedCsr | undefined {
  const base64 = PEM_CSR.exec(csrPem)?.[1];
  if (base64 === undefined) return undefined;
  try {
    const request = readWhole(Buffer.from(base64, 'base64'), TAG.sequence);
    const [info, algorithm, signature] = expectChildren(request, [TAG.sequence, TAG.sequence, TAG.bitString], true);
    const [, subject, spki] = expectChildren(info, [TAG.integer, TAG.sequence, TAG.sequence]);
    const [oid] = expectChildren(algorithm, [TAG.oid]);
    const common = COMMON_SIGNATURES.get(oid.content.toString('hex'));
    if (!common) return undefined;
    const key = importSpki(spki);
    if (!supportedKey(key, common.keyType)) return undefined;
    if (!verify(common.hash, info.bytes, key.key, bitStringBytes(signature))) return undefined;
    return { subjectDer: subject.bytes, spkiDer: spki.bytes };
  } catch {
    return undefined;
  }
}

/** Parses a PEM CSR with @peculiar/x509 and checks its self-signature; throws {@link CertificateRequestError}. */
export async function parseCsr(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  if (typeof csrPem !== 'string' || csrPem.length === 0 || csrPem.length > MAX_CSR_PEM_CHARS) {
    throw new CertificateRequestError('Invalid certificate signing request: missing or too large');
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new CertificateRequestError('Invalid certificate signing request: not a PEM PKCS#10 request', { cause: err });
  }
  let ok: boolean;
  try {
    ok = await csr.verify();
  } catch (err) {
    throw new CertificateRequestError('Invalid certificate signing request: unsupported key or signature algorithm', {
      cause: err,
    });
  }
  if (!ok) throw new CertificateRequestError('Invalid certificate signing request: signature does not verify');
  const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  const supported =
    (alg.name === 'ECDSA' && ['P-256', 'P-384', 'P-521'].includes(alg.namedCurve ?? '')) ||
    (alg.name === 'RSASSA-PKCS1-v1_5' && (alg.modulusLength ?? 0) >= 2048) ||
    (alg.name === 'RSA-PSS' && (alg.modulusLength ?? 0) >= 2048);
  if (!supported)
    throw new CertificateRequestError('Invalid certificate signing request: key type or size not supported');
  return csr;
}
