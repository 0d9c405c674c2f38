import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNERSHIP_TOKEN_TTL_MS, Registry, RegistryError, SCHEMA_VERSION } from './index.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CERT_ID = 'a'.repeat(64);

describe('Registry', () => {
  let dir: string;
  let path: string;
  let clock: Date;
  let reg: Registry;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-test-'));
    path = join(dir, 'db', 'registry.sqlite');
    clock = new Date('2026-01-01T00:00:00Z');
    reg = Registry.open(path, { now: () => clock });
  });
  afterEach(async () => {
    reg.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('survives a restart with every kind of record, in WAL mode, file 0600', async () => {
    reg.things.create({ thingName: 'dev-1', attributes: { SerialNumber: '42' }, thingGroups: ['g1'] });
    reg.certificates.insert({
      certificateId: CERT_ID,
      certificatePem: PEM,
      status: 'PENDING_ACTIVATION',
      notBefore: clock,
      notAfter: new Date('2049-12-31T23:59:59Z'),
    });
    reg.policies.create('pubsub', '{"Version":"2012-10-17","Statement":[]}');
    reg.policies.attach('pubsub', reg.arn('cert', CERT_ID));
    reg.things.attachPrincipal('dev-1', reg.arn('cert', CERT_ID));
    reg.templates.create({
      templateName: 'T',
      templateBody: '{"Resources":{}}',
      provisioningRoleArn: 'arn:aws:iam::123456789012:role/R',
      enabled: true,
      preProvisioningHook: { targetArn: 'http://127.0.0.1:1/hook' },
    });
    const token = reg.ownershipTokens.create(CERT_ID);
    reg.credentials.put({
      accessKeyId: 'AKIA1',
      secretAccessKey: 's',
      principalArn: 'arn:aws:iam::123456789012:user/admin',
      policies: [],
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    expect((await stat(`${path}-wal`)).mode & 0o777).toBe(0o600);
    reg.close();

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    reg = Registry.open(path, { now: () => clock });
    expect(reg.schemaVersion).toBe(SCHEMA_VERSION);
    expect(reg.things.get('dev-1')).toMatchObject({
      thingName: 'dev-1',
      attributes: { SerialNumber: '42' },
      thingGroups: ['g1'],
      version: 1,
      thingArn: 'arn:aws:iot:us-east-1:123456789012:thing/dev-1',
    });
    expect(reg.certificates.get(CERT_ID)).toMatchObject({
      status: 'PENDING_ACTIVATION',
      isClaim: false,
      certificateArn: `arn:aws:iot:us-east-1:123456789012:cert/${CERT_ID}`,
    });
    expect(reg.policies.listAttached(reg.arn('cert', CERT_ID)).map((p) => p.policyName)).toEqual(['pubsub']);
    expect(reg.things.listByPrincipal(reg.arn('cert', CERT_ID))).toEqual(['dev-1']);
    expect(reg.templates.get('T')).toMatchObject({
      enabled: true,
      type: 'FLEET_PROVISIONING',
      defaultVersionId: 1,
      preProvisioningHook: { targetArn: 'http://127.0.0.1:1/hook' },
    });
    expect(reg.ownershipTokens.consume(token)).toEqual({ ok: true, certificateId: CERT_ID });
    expect(reg.credentials.get('AKIA1')?.expiration?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('ownership tokens are single-use and expire after one hour', () => {
    const t1 = reg.ownershipTokens.create(CERT_ID);
    expect(reg.ownershipTokens.consume(t1).ok).toBe(true);
    expect(reg.ownershipTokens.consume(t1)).toEqual({ ok: false, reason: 'unknown' });
    const t2 = reg.ownershipTokens.create(CERT_ID);
    clock = new Date(clock.getTime() + OWNERSHIP_TOKEN_TTL_MS);
    expect(reg.ownershipTokens.consume(t2)).toEqual({ ok: false, reason: 'expired' });
  });

  it('deletes never-activated certificates when their token expires', () => {
    reg.certificates.insert({
      certificateId: CERT_ID,
      certificatePem: PEM,
      status: 'PENDING_ACTIVATION',
      notBefore: clock,
      notAfter: clock,
    });
    const other = 'b'.repeat(64);
    reg.certificates.insert({
      certificateId: other,
      certificatePem: PEM,
      status: 'PENDING_ACTIVATION',
      notBefore: clock,
      notAfter: clock,
    });
    reg.ownershipTokens.create(CERT_ID);
    const kept = reg.ownershipTokens.create(other);
    expect(reg.ownershipTokens.consume(kept).ok).toBe(true);
    reg.certificates.updateStatus(other, 'ACTIVE');
    clock = new Date(clock.getTime() + OWNERSHIP_TOKEN_TTL_MS);
    expect(reg.ownershipTokens.purgeExpired()).toBe(1);
    expect(reg.certificates.get(CERT_ID)).toBeUndefined();
    expect(reg.certificates.get(other)?.status).toBe('ACTIVE');
  });

  it('rolls a failed transaction back completely', () => {
    expect(() =>
      reg.transaction(() => {
        reg.things.create({ thingName: 'half' });
        reg.things.create({ thingName: 'half' });
      }),
    ).toThrow(RegistryError);
    expect(reg.things.get('half')).toBeUndefined();
  });

  it('returns what the transaction returns; a nested one that fails rolls back alone', () => {
    const value = reg.transaction(() => {
      reg.things.create({ thingName: 'outer' });
      expect(() =>
        reg.transaction(() => {
          reg.things.create({ thingName: 'inner' });
          throw new RegistryError('InvalidRequestException', 'no');
        }),
      ).toThrow(RegistryError);
      return 42;
    });
    expect(value).toBe(42);
    expect(reg.things.get('outer')).toBeDefined();
    expect(reg.things.get('inner')).toBeUndefined();
  });

  it('reports AWS-named errors', () => {
    reg.policies.create('p', '{}');
    expect(() => reg.policies.create('p', '{}')).toThrow(
      expect.objectContaining({ code: 'ResourceAlreadyExistsException' }),
    );
    reg.policies.attach('p', 'arn:x');
    expect(() => reg.policies.delete('p')).toThrow(expect.objectContaining({ code: 'DeleteConflictException' }));
    expect(() => reg.certificates.updateStatus('nope', 'ACTIVE')).toThrow(
      expect.objectContaining({ code: 'ResourceNotFoundException' }),
    );
    reg.certificates.insert({
      certificateId: CERT_ID,
      certificatePem: PEM,
      status: 'REVOKED',
      notBefore: clock,
      notAfter: clock,
    });
    expect(() => reg.certificates.updateStatus(CERT_ID, 'ACTIVE')).toThrow(
      expect.objectContaining({ code: 'CertificateStateException' }),
    );
    reg.things.create({ thingName: 'v' });
    expect(() => reg.things.update('v', { attributes: { a: '1' }, expectedVersion: 7 })).toThrow(
      expect.objectContaining({ code: 'VersionConflictException' }),
    );
  });

  it('versions policies and templates', () => {
    reg.policies.create('p', '{"v":1}');
    reg.policies.createVersion('p', '{"v":2}', true);
    expect(reg.policies.get('p')).toMatchObject({ defaultVersionId: '2', policyDocument: '{"v":2}' });
    reg.templates.create({
      templateName: 'T',
      templateBody: '{"a":1}',
      provisioningRoleArn: 'arn:aws:iam::123456789012:role/R',
    });
    reg.templates.createVersion('T', '{"a":2}', false);
    expect(reg.templates.get('T')?.templateBody).toBe('{"a":1}');
    reg.templates.update('T', { defaultVersionId: 2, enabled: true, preProvisioningHook: null });
    expect(reg.templates.get('T')).toMatchObject({
      templateBody: '{"a":2}',
      enabled: true,
      defaultVersionId: 2,
    });
    expect(reg.templates.listVersions('T').map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('refuses a database from a newer schema', () => {
    reg.close();
    const raw = new Database(path);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => Registry.open(path)).toThrow(/newer than this emulator/);
    reg = Registry.open(join(dir, 'other.sqlite'));
  });
});
