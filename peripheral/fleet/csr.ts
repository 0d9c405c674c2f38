/**
 * The device's permanent key pair and its PKCS#10 CSR, generated on the device (node WebCrypto +
 * @peculiar/x509) so that the private key never leaves it. EC P-256 by default; RSA-2048 selectable.
 */
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type KeyAlgorithm = 'ec-p256' | 'rsa-2048';

export interface DeviceKeyAndCsr {
  csrPem: string;
  /** PKCS#8 PEM. Secret: never log it. */
  privateKeyPem: string;
}

const ALGORITHMS = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  'rsa-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
} as const;

/** `subject` is e.g. `CN=<serial>`; AWS keeps a CSR's subject on the certificate it issues. */
export async function generateKeyAndCsr(keyAlgorithm: KeyAlgorithm, subject: string): Promise<DeviceKeyAndCsr> {
  const params = ALGORITHMS[keyAlgorithm];
  const keys = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: params });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrPem: csr.toString('pem') + '\n', privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n' };
}
