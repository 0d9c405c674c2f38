/**
 * The emulator's own certificate authority. It is generated on first start and persisted in a
 * directory (key 0600, written atomically), then reused on every restart so that certificates issued
 * earlier keep verifying. It issues the broker's TLS server certificate, claim certificates
 * (CreateProvisioningClaim) and device certificates (CreateKeysAndCertificate,
 * CreateCertificateFromCsr), and identifies certificates the way AWS IoT does: by the SHA-256 of
 * their DER encoding, as 64 lowercase hex characters.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  KeyObject,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../config/index.js';
import { ClientCertificateBuilder } from './client-certificate.js';
import { checkCsr } from './csr.js';
import { toPem } from './der.js';

export { CertificateRequestError, MAX_CSR_PEM_CHARS, parseCsr } from './csr.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const generateKeyPair = promisify(generateKeyPairCb);

/** The CA certificate is valid this long from first start. */
export const CA_VALIDITY_YEARS = 20;
/** AWS IoT device certificates (CreateKeysAndCertificate / FromCsr) expire at this instant. */
export const AWS_DEVICE_CERT_NOT_AFTER = new Date('2049-12-31T23:59:59Z');
/** AWS generates RSA-2048 key pairs for CreateKeysAndCertificate and CreateProvisioningClaim. */
export const GENERATED_RSA_MODULUS_BITS = 2048;
/** Subject AWS IoT puts on certificates whose key it generated. */
export const AWS_GENERATED_SUBJECT = 'CN=AWS IoT Certificate';

const CA_KEY_FILE = 'ca-key.pem';
const CA_CERT_FILE = 'ca-cert.pem';
const SIGNING: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const EC_KEY_ALG: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };

export interface Validity {
  notBefore?: Date;
  notAfter: Date;
}

export interface IssueCertificateRequest {
  /** SPKI public key as PEM, or a key object. Exactly one of publicKey and csrPem. */
  publicKey?: string | KeyObject;
  /** A PKCS#10 CSR; its signature is verified and its subject used unless `subject` is given. */
  csrPem?: string;
  subject?: string;
  validity: Validity;
}

export interface IssuedCertificate {
  certificatePem: string;
  /** SHA-256 of the DER certificate, 64 lowercase hex characters (AWS's certificateId). */
  certificateId: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssuedKeysAndCertificate extends IssuedCertificate {
  keyPair: { PublicKey: string; PrivateKey: string };
}

export interface ServerCredentials {
  certificatePem: string;
  privateKeyPem: string;
}

export function certificateIdOf(certificatePem: string): string {
  return certificateIdOfDer(new x509.X509Certificate(certificatePem).rawData);
}

export function certificateIdOfDer(der: ArrayBuffer | Uint8Array): string {
  return createHash('sha256')
    .update(der instanceof Uint8Array ? der : new Uint8Array(der))
    .digest('hex');
}

function pem(label: string, der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, label) + '\n';
}

function randomSerialBytes(): Buffer {
  // Positive 16-byte serial (top bit clear) as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes;
}

function randomSerial(): string {
  return randomSerialBytes().toString('hex');
}

/** A Name as @peculiar/x509 encodes it from its string form (`CN=..., O=...`). */
function nameDer(subject: string): Buffer {
  return Buffer.from(new x509.Name(subject).toArrayBuffer());
}

/** X.509 times have whole seconds: what a certificate says is the time truncated. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export class EmulatorCa {
  /** SHA-256 id of the CA certificate (what RegisterCACertificate would report). */
  readonly caCertificateId: string;

  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
    private readonly clientCertificates: ClientCertificateBuilder,
  ) {
    this.caCertificateId = certificateIdOfDer(certificate.rawData);
  }

  private static async open(certificate: x509.X509Certificate, signingKey: CryptoKey): Promise<EmulatorCa> {
    const builder = await ClientCertificateBuilder.create(certificate, KeyObject.from(signingKey));
    return new EmulatorCa(certificate, signingKey, builder);
  }

  /** Opens the CA persisted in `dir`, creating it (key 0600, atomically) on first start. */
  static async openOrCreate(dir: string): Promise<EmulatorCa> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, CA_KEY_FILE);
    const certPath = join(dir, CA_CERT_FILE);
    let keyPem: string | undefined;
    let certPem: string | undefined;
    try {
      [keyPem, certPem] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (keyPem !== undefined && certPem !== undefined) {
      const key = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), EC_KEY_ALG, false, [
        'sign',
      ]);
      return EmulatorCa.open(new x509.X509Certificate(certPem), key);
    }
    const keys = await webcrypto.subtle.generateKey(EC_KEY_ALG, true, ['sign', 'verify']);
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(notBefore.getTime() + CA_VALIDITY_YEARS * 365 * 24 * 3600_000);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: 'CN=Trusted Provisioning Emulator Root CA, O=Cloud Emulator',
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const newKeyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    // Key first: a crash between the two writes leaves a key without a cert, which is regenerated.
    writeFileAtomic(keyPath, newKeyPem, 0o600);
    writeFileAtomic(certPath, cert.toString('pem') + '\n', 0o644);
    return EmulatorCa.open(cert, keys.privateKey);
  }

  get caCertPem(): string {
    return this.certificate.toString('pem') + '\n';
  }

  /** True when `certificatePem` was signed by this CA (signature only; validity is the caller's). */
  async verifyIssued(certificatePem: string): Promise<boolean> {
    try {
      const cert = new x509.X509Certificate(certificatePem);
      return await cert.verify({ publicKey: this.certificate.publicKey, signatureOnly: true });
    } catch {
      return false;
    }
  }

  /** A TLS server certificate + fresh P-256 key, valid for `hosts` (DNS names and IP literals). */
  async issueServerCertificate(hosts: string[] = ['localhost', '127.0.0.1', '::1']): Promise<ServerCredentials> {
    const keys = await webcrypto.subtle.generateKey(EC_KEY_ALG, true, ['sign', 'verify']);
    const names = hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${hosts.find((h) => isIP(h) === 0) ?? 'localhost'}`,
      issuer: this.certificate.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 825 * 24 * 3600_000),
      publicKey: keys.publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
      ],
    });
    return {
      certificatePem: cert.toString('pem') + '\n',
      privateKeyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    };
  }

  /** Issues a client certificate for a public key or a CSR (whose signature must verify). */
  async issueCertificate(request: IssueCertificateRequest): Promise<IssuedCertificate> {
    const { csrPem, publicKey } = request;
    if ((csrPem === undefined) === (publicKey === undefined)) {
      throw new TypeError('issueCertificate needs exactly one of publicKey and csrPem');
    }
    let subjectDer = request.subject !== undefined ? nameDer(request.subject) : undefined;
    let spkiDer: Buffer;
    if (publicKey !== undefined) {
      const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
      spkiDer = key.export({ type: 'spki', format: 'der' });
    } else {
      const csr = await checkCsr(csrPem ?? '');
      spkiDer = csr.spkiDer;
      // An empty Name is a SEQUENCE with no content: AWS's own subject then.
      subjectDer ??= csr.subjectDer.length > 2 ? csr.subjectDer : nameDer(AWS_GENERATED_SUBJECT);
    }
    const notBefore = wholeSeconds(request.validity.notBefore ?? new Date(Date.now() - 60_000));
    const notAfter = wholeSeconds(request.validity.notAfter);
    const der = this.clientCertificates.build({
      serial: randomSerialBytes(),
      notBefore,
      notAfter,
      subjectDer: subjectDer ?? nameDer(AWS_GENERATED_SUBJECT),
      spkiDer,
    });
    return { certificatePem: toPem(der, 'CERTIFICATE'), certificateId: certificateIdOfDer(der), notBefore, notAfter };
  }

  /** CreateKeysAndCertificate / CreateProvisioningClaim: an RSA-2048 key pair and its certificate. */
  async createKeyPairAndCertificate(options: {
    validity: Validity;
    subject?: string;
  }): Promise<IssuedKeysAndCertificate> {
    const { publicKey, privateKey } = await generateKeyPair('rsa', {
      modulusLength: GENERATED_RSA_MODULUS_BITS,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const issued = await this.issueCertificate({
      publicKey,
      subject: options.subject ?? AWS_GENERATED_SUBJECT,
      validity: options.validity,
    });
    return { ...issued, keyPair: { PublicKey: publicKey, PrivateKey: privateKey } };
  }
}
