/**
 * Client certificates (device and claim certificates) assembled from DER parts: the CA's subject
 * and the extensions that are the same on every certificate are encoded once, when the CA opens;
 * per certificate only the serial, validity, subject, public key and its key identifier change,
 * and the signature is one node:crypto call. The encoding is the one @peculiar/x509 produced for
 * these certificates (ca.test.ts compares them field by field).
 */
import { createHash, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { bitStringBytes, encode, encodeTime, expectChildren, readWhole, TAG } from './der.js';

/** AlgorithmIdentifier ecdsa-with-SHA256 (the CA's key is P-256), no parameters. */
const ECDSA_WITH_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex');
/** [0] EXPLICIT INTEGER 2: X.509 v3. */
const VERSION_3 = Buffer.from('a003020102', 'hex');
/** Extension subjectKeyIdentifier (2.5.29.14), not critical, up to its 20-byte SHA-1 key id. */
const SUBJECT_KEY_ID_PREFIX = Buffer.from('301d0603551d0e04160414', 'hex');

export interface ClientCertificateParts {
  serial: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Buffer;
  spkiDer: Buffer;
}

export class ClientCertificateBuilder {
  private constructor(
    private readonly issuerDer: Buffer,
    private readonly fixedExtensions: Buffer,
    private readonly signingKey: KeyObject,
  ) {}

  /** For the CA certificate `ca` whose private key is `signingKey`. */
  static async create(ca: x509.X509Certificate, signingKey: KeyObject): Promise<ClientCertificateBuilder> {
    const tbs = expectChildren(readWhole(Buffer.from(ca.rawData), TAG.sequence), [TAG.sequence])[0];
    // version, serial, signature, issuer, validity, subject: the CA's own subject is our issuer.
    const subject = expectChildren(tbs, [
      TAG.context0,
      TAG.integer,
      TAG.sequence,
      TAG.sequence,
      TAG.sequence,
      TAG.sequence,
    ])[5];
    const extensions = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ];
    return new ClientCertificateBuilder(
      subject.bytes,
      Buffer.concat(extensions.map((e) => Buffer.from(e.rawData))),
      signingKey,
    );
  }

  /** The certificate's DER. */
  build(parts: ClientCertificateParts): Buffer {
    const tbs = encode(
      TAG.sequence,
      VERSION_3,
      encode(TAG.integer, parts.serial),
      ECDSA_WITH_SHA256,
      this.issuerDer,
      encode(TAG.sequence, encodeTime(parts.notBefore), encodeTime(parts.notAfter)),
      parts.subjectDer,
      parts.spkiDer,
      encode(TAG.context3, encode(TAG.sequence, this.fixedExtensions, subjectKeyIdentifier(parts.spkiDer))),
    );
    const signature = sign('sha256', tbs, { key: this.signingKey, dsaEncoding: 'der' });
    return encode(TAG.sequence, tbs, ECDSA_WITH_SHA256, encode(TAG.bitString, Buffer.of(0), signature));
  }
}

/** RFC 5280 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits. */
function subjectKeyIdentifier(spkiDer: Buffer): Buffer {
  const [, publicKey] = expectChildren(readWhole(spkiDer, TAG.sequence), [TAG.sequence, TAG.bitString], true);
  return Buffer.concat([SUBJECT_KEY_ID_PREFIX, createHash('sha1').update(bitStringBytes(publicKey)).digest()]);
}
