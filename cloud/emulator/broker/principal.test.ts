import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import type { CertificateRecord } from '../registry/index.js';
import { buildPrincipal } from './principal.js';

const DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

describe('buildPrincipal', () => {
  let dir: string;
  let registry: Registry;
  const certs: CertificateRecord[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'principal-test-'));
    registry = Registry.open(join(dir, 'registry.sqlite'));
    registry.policies.create('shared', DOCUMENT);
    for (const c of ['a', 'b']) {
      const cert = registry.certificates.insert({
        certificateId: c.repeat(64),
        certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        status: 'ACTIVE',
        notBefore: new Date(0),
        notAfter: new Date('2049-12-31T23:59:59Z'),
      });
      registry.policies.attach('shared', cert.certificateArn);
      certs.push(cert);
    }
  });
  afterAll(async () => {
    registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shares one parsed copy of a policy among the connections it is attached to', () => {
    const [one, two] = certs.map((c, i) => buildPrincipal(registry, c, `client-${i}`, () => new Date()));
    const [first] = one?.policies() ?? [];
    expect(first).toEqual(JSON.parse(DOCUMENT));
    expect(two?.policies()[0]).toBe(first);
  });

  it('keeps what authorization asks of the certificate, not its PEM', () => {
    const p = buildPrincipal(registry, certs[0] as CertificateRecord, 'client-0', () => new Date());
    expect(p.certificate).toEqual({
      certificateId: 'a'.repeat(64),
      certificateArn: (certs[0] as CertificateRecord).certificateArn,
      isClaim: false,
    });
  });
});
