import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateIdOf, CertificateRequestError, EmulatorCa } from './index.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

async function makeCsr(alg: 'ec' | 'rsa', subject = 'CN=device-1'): Promise<string> {
  const params =
    alg === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: params });
  return csr.toString('pem');
}

describe('EmulatorCa', () => {
  let dir: string;
  let ca: EmulatorCa;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ca-test-'));
    ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('persists its key 0600 and reuses it on restart', async () => {
    const keyStat = await stat(join(dir, 'ca', 'ca-key.pem'));
    expect(keyStat.mode & 0o777).toBe(0o600);
    const again = await EmulatorCa.openOrCreate(join(dir, 'ca'));
    expect(again.caCertPem).toBe(ca.caCertPem);
    const issued = await again.issueCertificate({
      csrPem: await makeCsr('ec'),
      validity: { notAfter: new Date(Date.now() + 3600_000) },
    });
    expect(new X509Certificate(issued.certificatePem).verify(new X509Certificate(ca.caCertPem).publicKey)).toBe(true);
    expect(createPrivateKey(await readFile(join(dir, 'ca', 'ca-key.pem'), 'utf8')).asymmetricKeyType).toBe('ec');
  });

  it('issues from EC P-256 and RSA-2048 CSRs, keeping the CSR subject and an AWS-style id', async () => {
    for (const alg of ['ec', 'rsa'] as const) {
      const issued = await ca.issueCertificate({
        csrPem: await makeCsr(alg, 'CN=dev-' + alg),
        validity: { notAfter: new Date('2049-12-31T23:59:59Z') },
      });
      const cert = new X509Certificate(issued.certificatePem);
      expect(cert.subject).toBe('CN=dev-' + alg);
      expect(cert.checkIssued(new X509Certificate(ca.caCertPem))).toBe(true);
      expect(issued.certificateId).toMatch(/^[0-9a-f]{64}$/);
      expect(issued.certificateId).toBe(certificateIdOf(issued.certificatePem));
      expect(issued.certificateId).toBe(cert.fingerprint256.replaceAll(':', '').toLowerCase());
      expect(issued.notAfter.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    }
  });

  it('encodes a certificate as @peculiar/x509 did: issuer, subject and key as requested, the same extensions', async () => {
    const csrPem = await makeCsr('ec', 'CN=dev-ext, O=Acme');
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    const caCert = new x509.X509Certificate(ca.caCertPem);
    const issued = await ca.issueCertificate({ csrPem, validity: { notAfter: new Date('2049-12-31T23:59:59Z') } });
    const cert = new x509.X509Certificate(issued.certificatePem);
    const expected = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
    ];
    expect(cert.extensions.map((e) => Buffer.from(e.rawData).toString('hex'))).toEqual(
      expected.map((e) => Buffer.from(e.rawData).toString('hex')),
    );
    expect(Buffer.from(cert.subjectName.toArrayBuffer())).toEqual(Buffer.from(csr.subjectName.toArrayBuffer()));
    expect(Buffer.from(cert.issuerName.toArrayBuffer())).toEqual(Buffer.from(caCert.subjectName.toArrayBuffer()));
    expect(Buffer.from(cert.publicKey.rawData)).toEqual(Buffer.from(csr.publicKey.rawData));
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
    expect(await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true })).toBe(true);
    expect(cert.serialNumber).toMatch(/^[0-7][0-9a-f]{31}$/);
  });

  it('gives a CSR with an empty subject the subject AWS generates', async () => {
    const issued = await ca.issueCertificate({
      csrPem: await makeCsr('ec', ''),
      validity: { notAfter: new Date(Date.now() + 3600_000) },
    });
    expect(new X509Certificate(issued.certificatePem).subject).toBe('CN=AWS IoT Certificate');
  });

  it('accepts an RSA-PSS signed CSR (checked by @peculiar/x509 rather than natively)', async () => {
    const params = { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
    const signingAlgorithm = { ...params, saltLength: 32 };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=dev-pss', keys, signingAlgorithm });
    const issued = await ca.issueCertificate({
      csrPem: csr.toString('pem'),
      validity: { notAfter: new Date(Date.now() + 3600_000) },
    });
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=dev-pss');
    expect(cert.checkIssued(new X509Certificate(ca.caCertPem))).toBe(true);
  });

  it('refuses a CSR whose RSA key has fewer than 2048 bits', async () => {
    const params = {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    };
    const keys = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=weak',
      keys,
      signingAlgorithm: params,
    });
    await expect(
      ca.issueCertificate({ csrPem: csr.toString('pem'), validity: { notAfter: new Date(Date.now() + 1000) } }),
    ).rejects.toThrow(/key type or size not supported/);
  });

  it('refuses a CSR whose signature does not verify, and garbage', async () => {
    const good = await makeCsr('ec');
    const der = Buffer.from(x509.PemConverter.decodeFirst(good));
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff; // inside the signature
    const bad = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await expect(
      ca.issueCertificate({ csrPem: bad, validity: { notAfter: new Date(Date.now() + 1000) } }),
    ).rejects.toBeInstanceOf(CertificateRequestError);
    await expect(
      ca.issueCertificate({ csrPem: 'nope', validity: { notAfter: new Date(Date.now() + 1000) } }),
    ).rejects.toThrow(/Invalid certificate signing request/);
  });

  it('creates RSA-2048 key pairs whose certificate matches the private key', async () => {
    const issued = await ca.createKeyPairAndCertificate({ validity: { notAfter: new Date(Date.now() + 300_000) } });
    const cert = new X509Certificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=AWS IoT Certificate');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(createPrivateKey(issued.keyPair.PrivateKey))).toBe(true);
  });

  it('issues a server certificate valid for localhost and 127.0.0.1 that openssl verifies', async () => {
    const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
    const cert = new X509Certificate(server.certificatePem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkPrivateKey(createPrivateKey(server.privateKeyPem))).toBe(true);
    const caFile = join(dir, 'ca', 'ca-cert.pem');
    const leaf = join(dir, 'leaf.pem');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(leaf, server.certificatePem);
    const out = execFileSync('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslserver', leaf], {
      encoding: 'utf8',
    });
    expect(out).toContain(': OK');
    expect(generateKeyPairSync).toBeTypeOf('function');
  });
});
