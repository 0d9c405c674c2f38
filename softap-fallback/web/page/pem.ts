/**
 * Checks the claim files the person picked or pasted, in the browser, before anything is sent:
 * the right kind of PEM in the right field, within the protocol's size limits, an unencrypted key,
 * and a certificate that has not expired (its notAfter becomes the claim's `expiresAt`). Each
 * failure is a ProvisioningError with a stable code and a sentence that says what to do; no detail
 * ever repeats file content.
 *
 * The output is re-armoured canonically (64-column base64, LF, one trailing newline), so what the
 * page sends always matches the codec's PEM rules (protocol/codec.ts), whatever line endings or
 * blank lines the file had.
 */
import {
  ProvisioningError,
  MAX_CA_PEM_BYTES,
  MAX_CERTIFICATE_PEM_BYTES,
  MAX_PRIVATE_KEY_PEM_BYTES,
} from '../../../protocol/index.js';
import { certificateValidity, DerError } from './der.js';

/**
 * Largest file the page reads at all, bytes. Above this the page refuses without reading it (a
 * wrong pick such as a photo); between the protocol limit and this, it reads and reports the size.
 */
export const MAX_PEM_FILE_BYTES = 16 * 1024;

export type PemSlot = 'certificate' | 'privateKey' | 'ca';

const SLOT_NAME: Record<PemSlot, string> = {
  certificate: 'claim certificate',
  privateKey: 'private key',
  ca: 'CA certificate',
};

/** Protocol limit of each field, bytes (PROTOCOL.md §5.9). */
export const SLOT_LIMIT_BYTES: Record<PemSlot, number> = {
  certificate: MAX_CERTIFICATE_PEM_BYTES,
  privateKey: MAX_PRIVATE_KEY_PEM_BYTES,
  ca: MAX_CA_PEM_BYTES,
};

const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];
const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----([\s\S]*?)-----END ([A-Z0-9 ]{1,40})-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
  readonly base64: string;
}

const invalid = (detail: string): ProvisioningError => new ProvisioningError('CLAIM_INVALID', { detail });

function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64_BODY.test(text) || text.length % 4 !== 0) return undefined;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function blocks(text: string, slot: PemSlot): PemBlock[] {
  const size = byteLength(text);
  if (size > MAX_PEM_FILE_BYTES) throw tooLarge(slot, size);
  const found: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, label = '', body = '', endLabel] = m;
    if (label !== endLabel)
      throw invalid(`the ${SLOT_NAME[slot]} has a PEM block whose BEGIN and END lines do not match`);
    const base64 = body.replace(/\s+/g, '');
    const der = decodeBase64(base64);
    if (!der || der.length === 0)
      throw invalid(`the ${SLOT_NAME[slot]} has a PEM block whose content is not valid base64`);
    found.push({ label, der, base64 });
  }
  return found;
}

function armour(block: PemBlock): string {
  const lines = block.base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${block.label}-----\n${lines.join('\n')}\n-----END ${block.label}-----\n`;
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Refuses a file by its size before reading it. */
export function checkFileSize(slot: PemSlot, size: number): void {
  if (size > MAX_PEM_FILE_BYTES) throw tooLarge(slot, size);
}

function tooLarge(slot: PemSlot, size: number): ProvisioningError {
  return new ProvisioningError('MESSAGE_TOO_LARGE', {
    detail: `the ${SLOT_NAME[slot]} is ${size} bytes; at most ${SLOT_LIMIT_BYTES[slot]} bytes fit the protocol: pick the right file`,
  });
}

function notPem(slot: PemSlot): ProvisioningError {
  const first = slot === 'privateKey' ? '-----BEGIN PRIVATE KEY-----' : '-----BEGIN CERTIFICATE-----';
  return invalid(`the ${SLOT_NAME[slot]} is not a PEM file (expected text starting with ${first})`);
}

export interface CheckedCertificate {
  readonly pem: string;
  /** From the certificate's notAfter, ms since the epoch. */
  readonly notAfter: number;
}

/** The claim certificate: exactly one CERTIFICATE block, a readable X.509 validity, not expired at `now`. */
export function checkCertificatePem(text: string, now: number): CheckedCertificate {
  const all = blocks(text, 'certificate');
  if (all.length === 0) throw notPem('certificate');
  const keys = all.filter((b) => KEY_LABELS.includes(b.label) || b.label === 'ENCRYPTED PRIVATE KEY');
  if (keys.length > 0)
    throw invalid(
      'this file holds a private key, not a certificate: choose it as the private key, and the .pem.crt / certificate file here',
    );
  const certs = all.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length !== 1 || all.length !== 1) {
    throw invalid(
      certs.length > 1
        ? `the claim certificate file holds ${certs.length} certificates: use the claim certificate alone`
        : 'the claim certificate file holds no CERTIFICATE block',
    );
  }
  const cert = certs[0]!;
  let notAfter: number;
  try {
    notAfter = certificateValidity(cert.der).notAfter;
  } catch (err) {
    if (err instanceof DerError) throw invalid('the claim certificate is not a readable X.509 certificate');
    throw err;
  }
  const pem = armour(cert);
  if (byteLength(pem) > SLOT_LIMIT_BYTES.certificate) throw tooLarge('certificate', byteLength(pem));
  if (notAfter <= now) {
    throw new ProvisioningError('CLAIM_EXPIRED', {
      detail: `the claim certificate expired at ${new Date(notAfter).toISOString().slice(11, 19)} UTC; claims live 5 minutes: fetch a new one`,
    });
  }
  return { pem, notAfter };
}

/** The claim's private key: exactly one unencrypted PKCS#8, SEC 1 (EC) or PKCS#1 (RSA) block. */
export function checkPrivateKeyPem(text: string): string {
  const all = blocks(text, 'privateKey');
  if (all.length === 0) throw notPem('privateKey');
  if (all.some((b) => b.label === 'ENCRYPTED PRIVATE KEY'))
    throw invalid('the private key is encrypted with a password: the device needs the unencrypted claim key');
  if (all.some((b) => b.label === 'CERTIFICATE'))
    throw invalid(
      'this file holds a certificate, not a private key: choose it as the claim certificate, and the private.pem.key / key file here',
    );
  const keys = all.filter((b) => KEY_LABELS.includes(b.label));
  if (keys.length !== 1 || all.length !== 1)
    throw invalid('the private key file must hold exactly one PRIVATE KEY block');
  const key = keys[0]!;
  // Every key encoding accepted here is a DER SEQUENCE.
  if (key.der[0] !== 0x30) throw invalid('the private key is not a readable key');
  const pem = armour(key);
  if (byteLength(pem) > SLOT_LIMIT_BYTES.privateKey) throw tooLarge('privateKey', byteLength(pem));
  return pem;
}

/** An optional CA bundle: one or more CERTIFICATE blocks and nothing else. */
export function checkCaPem(text: string): string {
  const all = blocks(text, 'ca');
  if (all.length === 0) throw notPem('ca');
  if (all.some((b) => b.label !== 'CERTIFICATE')) throw invalid('the CA file may hold only CERTIFICATE blocks');
  for (const b of all) {
    try {
      certificateValidity(b.der);
    } catch (err) {
      if (err instanceof DerError) throw invalid('the CA file holds a certificate that is not readable X.509');
      throw err;
    }
  }
  const pem = all.map(armour).join('');
  if (byteLength(pem) > SLOT_LIMIT_BYTES.ca) throw tooLarge('ca', byteLength(pem));
  return pem;
}
