import { generateKeyPairSync, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../protocol/codec.js';
import { certificateValidity, DerError, readNode } from './der.js';
import { checkCaPem, checkCertificatePem, checkFileSize, checkPrivateKeyPem, MAX_PEM_FILE_BYTES } from './pem.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
const NOT_AFTER = new Date('2026-01-01T00:05:00Z');
let certPem: string;
let longLivedPem: string;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function selfSigned(notAfter: Date): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=claim',
    notBefore: NOT_BEFORE,
    notAfter,
    keys,
    signingAlgorithm: alg,
  });
  return cert.toString('pem');
}

beforeAll(async () => {
  certPem = await selfSigned(NOT_AFTER);
  // GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5).
  longLivedPem = await selfSigned(new Date('2051-06-30T12:00:00Z'));
});

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};
const detailOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return String((err as { detail?: string }).detail);
  }
  return '';
};

describe('the DER reader', () => {
  it('reads notBefore/notAfter in UTCTime and GeneralizedTime', () => {
    const der = (pem: string): Uint8Array =>
      new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    expect(certificateValidity(der(certPem))).toEqual({
      notBefore: NOT_BEFORE.getTime(),
      notAfter: NOT_AFTER.getTime(),
    });
    expect(certificateValidity(der(longLivedPem)).notAfter).toBe(Date.parse('2051-06-30T12:00:00Z'));
  });

  it('refuses truncated and overlong input instead of reading past the end', () => {
    expect(() => readNode(new Uint8Array([0x30]), 0)).toThrow(DerError);
    expect(() => readNode(new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]), 0)).toThrow(DerError);
    expect(() => readNode(new Uint8Array([0x30, 0x05, 0x02]), 0)).toThrow(DerError);
    expect(() => certificateValidity(new Uint8Array([0x30, 0x02, 0x05, 0x00]))).toThrow(DerError);
    const full = new Uint8Array(Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    for (const cut of [1, 10, 60, full.length - 1])
      expect(() => certificateValidity(full.subarray(0, cut))).toThrow(DerError);
  });
});

describe('the claim certificate check', () => {
  it('accepts the certificate, re-armours it canonically and reads the expiry', () => {
    const crlf = `\r\n\r\n${certPem.replace(/\n/g, '\r\n')}\r\n`;
    const checked = checkCertificatePem(crlf, NOT_BEFORE.getTime());
    expect(checked.notAfter).toBe(NOT_AFTER.getTime());
    expect(checked.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    // What the page builds, the protocol's codec accepts.
    const claim = {
      type: 'claim' as const,
      certificatePem: checked.pem,
      privateKeyPem: checkPrivateKeyPem(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string),
      host: 'iot.example.com',
      port: 8883,
      templateName: 'T',
      parameters: {},
      expiresAt: Math.floor(checked.notAfter / 1000),
    };
    expect(encodeMessage(claim).length).toBeGreaterThan(1000);
  });

  it('says CLAIM_EXPIRED once notAfter has passed', () => {
    expect(codeOf(() => checkCertificatePem(certPem, NOT_AFTER.getTime()))).toBe('CLAIM_EXPIRED');
    expect(detailOf(() => checkCertificatePem(certPem, NOT_AFTER.getTime() + 1))).toContain('fetch a new one');
  });

  it('tells a key from a certificate, and non-PEM from PEM', () => {
    const keyPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(codeOf(() => checkCertificatePem(keyPem, 0))).toBe('CLAIM_INVALID');
    expect(detailOf(() => checkCertificatePem(keyPem, 0))).toContain('private key, not a certificate');
    expect(detailOf(() => checkCertificatePem('hello world', 0))).toContain('not a PEM file');
    expect(detailOf(() => checkCertificatePem(certPem + certPem, 0))).toContain('2 certificates');
    expect(
      detailOf(() => checkCertificatePem('-----BEGIN CERTIFICATE-----\nMIIB*\n-----END CERTIFICATE-----\n', 0)),
    ).toContain('not valid base64');
    expect(
      detailOf(() => checkCertificatePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 0)),
    ).toContain('not a readable X.509');
  });

  it('refuses oversized input with MESSAGE_TOO_LARGE, by file size before reading and by text after', () => {
    expect(codeOf(() => checkFileSize('certificate', MAX_PEM_FILE_BYTES + 1))).toBe('MESSAGE_TOO_LARGE');
    expect(codeOf(() => checkFileSize('certificate', MAX_PEM_FILE_BYTES))).toBeUndefined();
    expect(codeOf(() => checkCertificatePem('x'.repeat(MAX_PEM_FILE_BYTES + 1), 0))).toBe('MESSAGE_TOO_LARGE');
    const big = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(6000)}\n-----END CERTIFICATE-----\n`;
    expect(codeOf(() => checkCertificatePem(big, 0))).toMatch(/MESSAGE_TOO_LARGE|CLAIM_INVALID/);
  });
});

describe('the private key check', () => {
  it('accepts PKCS#8, SEC 1 and PKCS#1 keys', () => {
    for (const pem of [
      ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string,
      rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    ]) {
      expect(checkPrivateKeyPem(pem)).toMatch(
        /^-----BEGIN (RSA |EC |)PRIVATE KEY-----\n[\s\S]+-----END \1PRIVATE KEY-----\n$/,
      );
    }
  });

  it('refuses a certificate, an encrypted key, a public key and two keys, each with a clear detail', () => {
    const encrypted = ec.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    }) as string;
    const publicPem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const keyPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(detailOf(() => checkPrivateKeyPem(certPem))).toContain('certificate, not a private key');
    expect(detailOf(() => checkPrivateKeyPem(encrypted))).toContain('encrypted');
    expect(detailOf(() => checkPrivateKeyPem(publicPem))).toContain('exactly one PRIVATE KEY');
    expect(detailOf(() => checkPrivateKeyPem(keyPem + keyPem))).toContain('exactly one PRIVATE KEY');
    expect(codeOf(() => checkPrivateKeyPem('not a key'))).toBe('CLAIM_INVALID');
    // No detail repeats the content.
    expect(detailOf(() => checkPrivateKeyPem(keyPem + keyPem))).not.toContain(keyPem.split('\n')[1]!.slice(0, 16));
  });
});

describe('the CA check', () => {
  it('takes one or more certificates and nothing else', () => {
    expect(checkCaPem(certPem + longLivedPem).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(codeOf(() => checkCaPem(certPem + (ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)))).toBe(
      'CLAIM_INVALID',
    );
  });
});
