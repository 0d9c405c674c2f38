/**
 * The device's fleet-provisioning routine (aws-iot-device-sdk-v2, MQTT 5, mutual TLS) against the
 * cloud emulator's real broker: the happy path with each key option, refusals, expiry, an
 * unreachable broker that comes back, and idempotence on a second run.
 */
import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionWithClaim } from '../../peripheral/fleet/provision.js';
import type { FleetStep, ProvisionWithClaimOptions } from '../../peripheral/fleet/provision.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import { HOOKED_TEMPLATE_NAME, startFleetFixture, TEMPLATE_NAME, verifyTopic } from './fixture.js';
import type { FleetFixture } from './fixture.js';
import type { Timers } from '../../protocol/index.js';
import { systemTimers } from '../../peripheral/system/index.js';

let fx: FleetFixture;
beforeAll(async () => {
  fx = await startFleetFixture();
});
afterAll(async () => fx.close());

function deviceStorage(name: string): { store: CredentialStore; journal: ProvisioningJournal; dir: string } {
  const dir = join(fx.dir, 'devices', name);
  return {
    dir,
    store: new CredentialStore({ dir: join(dir, 'credentials') }),
    journal: new ProvisioningJournal({ path: join(dir, 'journal.log'), now: () => fx.clock.now }),
  };
}

async function options(
  serial: string,
  overrides: Partial<ProvisionWithClaimOptions> = {},
): Promise<ProvisionWithClaimOptions & { steps: FleetStep[] }> {
  const claim = await fx.newClaim(overrides.templateName);
  const steps: FleetStep[] = [];
  return {
    endpoint: { host: 'localhost', port: fx.broker.port },
    caPem: fx.ca.caCertPem,
    claim,
    templateName: TEMPLATE_NAME,
    parameters: { DeviceLocation: 'Lyon', SerialNumber: 'sent-by-phone-ignored' },
    serialNumber: serial,
    clientId: `claim-${serial}`,
    verify: { topic: verifyTopic },
    clock: fx.deviceClock,
    ...deviceStorage(serial),
    onStep: (s) => steps.push(s),
    retry: { initialDelayMs: 10, maxDelayMs: 40 },
    steps,
    ...overrides,
  };
}

const certificatesOf = (thingName: string): string[] => fx.registry.things.listPrincipals(thingName);

describe('provisionWithClaim against the emulator broker', () => {
  it('CSR with an EC P-256 key made on the device: registers, stores 0600, proves, commits; a second run sends nothing', async () => {
    const opts = await options('sn-ec');
    const result = await provisionWithClaim(opts);
    expect(result).toMatchObject({
      thingName: 'mything_sn-ec',
      deviceConfiguration: { Location: 'Lyon' },
      startedFrom: 'issue',
    });
    expect(opts.steps).toEqual([
      'cloud-connected',
      'key-generated',
      'certificate-issued',
      'thing-registered',
      'verified',
      'committed',
    ]);
    const thing = fx.registry.things.get('mything_sn-ec');
    // The device's serial wins over the phone's.
    expect(thing?.attributes).toEqual({ serialNumber: 'sn-ec', location: 'Lyon' });
    expect(fx.registry.certificates.get(result.certificateId)?.status).toBe('ACTIVE');
    expect(certificatesOf('mything_sn-ec')).toHaveLength(1);

    const committed = await opts.store.loadCommitted();
    expect(committed).toMatchObject({ thingName: 'mything_sn-ec', certificateId: result.certificateId });
    expect(committed?.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(await opts.store.loadPending()).toBeUndefined();
    expect((await stat(opts.store.dir)).mode & 0o777).toBe(0o700);
    for (const f of ['device.cert.pem', 'device.key.pem', 'device.json'])
      expect((await stat(join(opts.store.dir, f))).mode & 0o777).toBe(0o600);
    const { records } = await opts.journal.load();
    expect(records.map((r) => r.step)).toEqual([
      'cloud-connected',
      'key-generated',
      'certificate-requested',
      'certificate-issued',
      'register-requested',
      'thing-registered',
      'verified',
      'committed',
    ]);

    const before = fx.registry.certificates.list().length;
    const again = await provisionWithClaim({ ...opts, steps: [] } as ProvisionWithClaimOptions);
    expect(again).toMatchObject({
      thingName: 'mything_sn-ec',
      certificateId: result.certificateId,
      startedFrom: 'already-provisioned',
    });
    expect(fx.registry.certificates.list().length).toBe(before);
  });

  it('CSR with RSA-2048 and CreateKeysAndCertificate both provision', async () => {
    const rsa = await provisionWithClaim(await options('sn-rsa', { keyAlgorithm: 'rsa-2048' }));
    const issued = new X509Certificate(fx.registry.certificates.get(rsa.certificateId)?.certificatePem as string);
    expect(issued.publicKey.asymmetricKeyType).toBe('rsa');
    expect(issued.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const keys = await options('sn-keys', { mode: 'create-keys' });
    const created = await provisionWithClaim(keys);
    expect(created.thingName).toBe('mything_sn-keys');
    expect(keys.steps).not.toContain('key-generated');
    expect((await keys.store.loadCommitted())?.privateKeyPem).toMatch(/PRIVATE KEY/);
  });

  it('refuses an expired claim before connecting (CLAIM_EXPIRED), by expiresAt and by the certificate notAfter', async () => {
    const opts = await options('sn-expired');
    const certificatesBefore = fx.registry.certificates.list().length;
    const late = (): number => opts.claim.expiresAt.getTime() + 1;
    await expect(provisionWithClaim({ ...opts, clock: late })).rejects.toMatchObject({ code: 'CLAIM_EXPIRED' });
    const far = { ...opts.claim, expiresAt: new Date(Date.now() + 365 * 24 * 3600_000) };
    const dayLater = (): number => Date.now() + 25 * 3600_000;
    await expect(provisionWithClaim({ ...opts, claim: far, clock: dayLater })).rejects.toMatchObject({
      code: 'CLAIM_EXPIRED',
    });
    expect(fx.registry.certificates.list().length).toBe(certificatesBefore);
    expect(fx.registry.things.get('mything_sn-expired')).toBeUndefined();
  });

  it('maps a hook refusal (ACCESS_DENIED) to DEVICE_ALREADY_REGISTERED, keeps the issued certificate, then succeeds with an allowed serial', async () => {
    const opts = await options('deny-1', { templateName: HOOKED_TEMPLATE_NAME });
    const err = (await provisionWithClaim(opts).catch((e: unknown) => e)) as {
      code: string;
      detail: string;
      message: string;
    };
    expect(err.code).toBe('DEVICE_ALREADY_REGISTERED');
    // The serial the operator decommissions (a reset device no longer shows it), then AWS's answer.
    expect(err.detail).toMatch(/^serial deny-1(?: \(thing mything_deny-1\))?; ACCESS_DENIED \(403\): /);
    const pending = await opts.store.loadPending();
    expect(pending?.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(fx.registry.certificates.get(pending?.certificateId as string)?.status).toBe('PENDING_ACTIVATION');
    const { records } = await opts.journal.load();
    expect(records.at(-1)).toMatchObject({ step: 'failed', code: 'DEVICE_ALREADY_REGISTERED' });
    expect(fx.registry.things.get('mything_deny-1')).toBeUndefined();
    // Nothing secret in the error.
    expect(err.message).not.toContain(pending?.certificateOwnershipToken as string);
    expect(err.message).not.toContain('PRIVATE KEY');

    // The phone fixes the problem and the device tries again: the saved certificate is reused, not replaced.
    const retried = await provisionWithClaim({ ...opts, serialNumber: 'allowed-1' });
    expect(retried).toMatchObject({
      thingName: 'mything_allowed-1',
      certificateId: pending?.certificateId,
      startedFrom: 'register',
    });
    expect(fx.registry.certificates.get(retried.certificateId)?.status).toBe('ACTIVE');
  });

  it('VERIFY_FAILED when the policy forbids the proof topic; the next run resumes at verify without touching the claim', async () => {
    const opts = await options('sn-verify', { verify: { topic: () => 'not/allowed' } });
    await expect(provisionWithClaim(opts)).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
    expect(await opts.store.loadCommitted()).toBeUndefined();
    const pending = await opts.store.loadPending();
    expect(fx.registry.certificates.get(pending?.certificateId as string)?.status).toBe('ACTIVE');
    const expiredClaim = { ...opts.claim, expiresAt: new Date(0) };
    const resumed = await provisionWithClaim({ ...opts, claim: expiredClaim, verify: { topic: verifyTopic } });
    expect(resumed).toMatchObject({
      thingName: 'mything_sn-verify',
      certificateId: pending?.certificateId,
      startedFrom: 'verify',
    });
    expect(fx.registry.things.list().filter((t) => t.attributes.serialNumber === 'sn-verify')).toHaveLength(1);
  });

  it('CLOUD_CONNECT_REFUSED when the broker refuses the claim (INACTIVE), without retrying', async () => {
    const opts = await options('sn-refused');
    fx.registry.certificates.updateStatus(
      (opts.claim as { certificateId: string } & typeof opts.claim).certificateId,
      'INACTIVE',
    );
    await expect(provisionWithClaim(opts)).rejects.toMatchObject({ code: 'CLOUD_CONNECT_REFUSED' });
  });

  it('retries an unreachable broker with back-off and succeeds when it comes up (CLOUD_UNREACHABLE is transient)', async () => {
    const port = await freePort();
    const opts = await options('sn-late', { endpoint: { host: 'localhost', port } });
    let sleeps = 0;
    let started: Promise<unknown> | undefined;
    // Every wait (connect timeouts, back-off) is one timer: the second brings the broker up, and no
    // wait ends before it is.
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        sleeps++;
        if (sleeps === 2) started = fx.startBrokerOn(port);
        const up = started;
        return systemTimers.setTimeout(() => void Promise.resolve(up).then(fn), ms);
      },
      clearTimeout: (handle) => systemTimers.clearTimeout(handle),
    };
    const result = await provisionWithClaim({ ...opts, timers });
    expect(result.thingName).toBe('mything_sn-late');
    expect(sleeps).toBeGreaterThanOrEqual(2);
  });

  it('runs again from the journal when a request gets no answer in time (REQUEST_PASSES), and provisions once', async () => {
    // The hook holds the first RegisterThing past the device's 1 s operation timeout; the answer is
    // lost to the device, which runs again from its journal on the same claim.
    const opts = await options('slow-1', {
      templateName: HOOKED_TEMPLATE_NAME,
      operationTimeoutSeconds: 1,
      thingNameFor: (serial) => `mything_${serial}`,
    });
    const result = await provisionWithClaim(opts);
    expect(result.thingName).toBe('mything_slow-1');
    expect(result.startedFrom).toBe('issue');
    expect(opts.steps).toContain('resumed');
    const { records } = await opts.journal.load();
    expect(records.filter((r) => r.step === 'failed').map((r) => r.code)).toEqual(['CLOUD_TIMEOUT']);
    expect(certificatesOf('mything_slow-1')).toEqual([expect.stringContaining(result.certificateId)]);
    expect(fx.registry.certificates.get(result.certificateId)?.status).toBe('ACTIVE');
  });

  it('gives up with CLOUD_UNREACHABLE after the attempt limit when nothing listens', async () => {
    const port = await freePort();
    const opts = await options('sn-never', {
      endpoint: { host: 'localhost', port },
      retry: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 3 },
    });
    await expect(provisionWithClaim(opts)).rejects.toMatchObject({ code: 'CLOUD_UNREACHABLE' });
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
