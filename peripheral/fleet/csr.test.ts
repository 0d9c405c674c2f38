import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { parseCsr } from '../../cloud/emulator/ca/index.js';
import { generateKeyAndCsr } from './csr.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

describe('generateKeyAndCsr', () => {
  it('EC P-256 by default: a self-signed CSR the emulator CA accepts, and a PKCS#8 key that matches it', async () => {
    const { csrPem, privateKeyPem } = await generateKeyAndCsr('ec-p256', 'CN=sn-1');
    const csr = await parseCsr(csrPem);
    expect(csr.subject).toBe('CN=sn-1');
    expect(csr.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    const key = await webcrypto.subtle.importKey(
      'pkcs8',
      x509.PemConverter.decodeFirst(privateKeyPem),
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign'],
    );
    const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new Uint8Array([1, 2, 3]));
    const pub = await csr.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' }, ['verify']);
    expect(await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, new Uint8Array([1, 2, 3]))).toBe(
      true,
    );
  });

  it('RSA-2048 when selected', async () => {
    const { csrPem } = await generateKeyAndCsr('rsa-2048', 'CN=sn-2');
    expect((await parseCsr(csrPem)).publicKey.algorithm).toMatchObject({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
    });
  });
});
