import { generateKeyPairSync, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertClaimUsable, CLAIM_EXPIRY_MARGIN_MS, claimValidity } from './claim.js';
import type { Claim } from './claim.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const NOT_AFTER = new Date('2030-01-01T00:05:00Z');
let claim: Claim;

beforeAll(async () => {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=claim',
    notBefore: new Date('2030-01-01T00:00:00Z'),
    notAfter: NOT_AFTER,
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  claim = {
    certificatePem: cert.toString('pem'),
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    expiresAt: new Date('2030-01-01T00:04:00Z'),
  };
});

describe('claim checks before connecting', () => {
  it('the deadline is the earlier of expiresAt and the certificate notAfter', () => {
    expect(claimValidity(claim).deadline).toEqual(claim.expiresAt);
    expect(claimValidity({ ...claim, expiresAt: new Date('2031-01-01T00:00:00Z') }).deadline).toEqual(NOT_AFTER);
  });

  it('CLAIM_EXPIRED at and after the deadline (with the margin), usable before', () => {
    const v = claimValidity(claim);
    expect(() => assertClaimUsable(v, new Date(claim.expiresAt.getTime() - CLAIM_EXPIRY_MARGIN_MS - 1))).not.toThrow();
    expect(() => assertClaimUsable(v, new Date(claim.expiresAt.getTime() - CLAIM_EXPIRY_MARGIN_MS))).toThrow(
      expect.objectContaining({ code: 'CLAIM_EXPIRED' }),
    );
    const byCert = claimValidity({ ...claim, expiresAt: new Date('2031-01-01T00:00:00Z') });
    expect(() => assertClaimUsable(byCert, new Date('2030-01-01T00:05:30Z'))).toThrow(
      expect.objectContaining({ code: 'CLAIM_EXPIRED' }),
    );
  });

  it('a device clock before notBefore is CLAIM_INVALID, not expired', () => {
    expect(() => assertClaimUsable(claimValidity(claim), new Date('2029-12-31T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'CLAIM_INVALID' }),
    );
  });

  it('CLAIM_INVALID for garbage or a key that does not match, without echoing the key', () => {
    expect(() => claimValidity({ ...claim, certificatePem: 'nope' })).toThrow(
      expect.objectContaining({ code: 'CLAIM_INVALID' }),
    );
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    let err: unknown;
    try {
      claimValidity({ ...claim, privateKeyPem: other });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CLAIM_INVALID' });
    expect(String((err as Error).message)).not.toContain('PRIVATE');
    expect((err as Error).cause).toBeUndefined();
  });
});
