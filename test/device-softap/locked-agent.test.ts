/**
 * The agent behind the JobLock: a session over one transport makes the other DEVICE_BUSY (at the
 * lock, before the agent), closing releases it, and the fallback policy hears jobStarted/jobEnded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { textContaining } from '../matchers.js';
import type { FleetRunner } from '../../peripheral/agent/index.js';
import { JobFile } from '../../peripheral/agent/index.js';
import { systemClock } from '../../peripheral/system/index.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import { SimulatedWifi } from '../../peripheral/wifi/simulated.js';
import { JobLockedAgent } from '../../apps/device/transports/locked-agent.js';
import { JobLock } from '../../softap-fallback/policy/job-lock.js';
import type { JobLockEvent } from '../../softap-fallback/policy/job-lock.js';
import { flush } from '../support/manual-timers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'locked-agent-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A claim the agent accepts (a fresh self-signed certificate and its key; the cloud part is gated). */
async function testClaim(): Promise<{ certificatePem: string; privateKeyPem: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=claim',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return {
    certificatePem: cert.toString('pem'),
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`,
  };
}

async function startAgent(
  fleet: FleetRunner = () => Promise.reject(new Error('no fleet in this test')),
): Promise<{ agent: JobLockedAgent; events: string[]; lock: JobLock }> {
  const events: string[] = [];
  const lock = new JobLock({ onChange: (e: JobLockEvent) => events.push(`${e.type}:${e.transport}`) });
  const agent = new JobLockedAgent(
    {
      store: new CredentialStore({ dir: join(dir, 'credentials') }),
      journal: new ProvisioningJournal({ path: join(dir, 'journal.log') }),
      jobFile: new JobFile(dir),
      wifi: new SimulatedWifi({ networks: [{ ssid: 'home', passphrase: 'correct horse battery', rssi: -40 }] }),
      fleet,
      clock: systemClock,
    },
    lock,
  );
  await agent.start();
  return { agent, events, lock };
}

describe('JobLockedAgent', () => {
  it('a BLE session makes SoftAP DEVICE_BUSY and vice versa; close releases the lock for the other', async () => {
    const { agent, events, lock } = await startAgent();
    const ble = agent.openSession('ble');
    expect(lock.holder).toBe('ble');
    expect(() => agent.openSession('softap')).toThrow(
      expect.objectContaining({ code: 'DEVICE_BUSY', message: textContaining('Bluetooth') }),
    );
    expect(agent.state).toBe('sessionEstablished');
    expect((await ble.scan()).map((n) => new TextDecoder().decode(n.ssid))).toEqual(['home']);
    ble.close();
    await flush();
    expect(lock.holder).toBeUndefined();
    expect(agent.state).toBe('idle');
    const softap = agent.openSession('softap');
    expect(() => agent.openSession('ble')).toThrow(
      expect.objectContaining({ code: 'DEVICE_BUSY', message: textContaining('setup Wi-Fi') }),
    );
    softap.close();
    softap.close();
    await flush();
    expect(events).toEqual(['jobStarted:ble', 'jobEnded:ble', 'jobStarted:softap', 'jobEnded:softap']);
    expect(() => softap.submitWifi({ type: 'wifi', ssid: new Uint8Array([1]) } as never)).toThrow(
      expect.objectContaining({ code: 'SESSION_CLOSED' }),
    );
  });

  it('keeps the lease while a job runs without its phone: the same transport takes it over, the other is DEVICE_BUSY', async () => {
    let finish: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const { agent, events, lock } = await startAgent(async () => {
      await gate;
      return {
        thingName: 'mything_1',
        certificateId: 'c'.repeat(64),
        deviceConfiguration: {},
        startedFrom: 'issue',
        timings: {},
      };
    });
    const first = agent.openSession('softap');
    first.submitWifi({ type: 'wifi', ssid: new TextEncoder().encode('home'), passphrase: 'correct horse battery' });
    const claim = await testClaim();
    first.submitClaim({
      type: 'claim',
      ...claim,
      host: 'iot.example',
      port: 8883,
      templateName: 'T',
      parameters: {},
      expiresAt: Math.floor(Date.now() / 1000) + 300,
    });
    await first.command('commit');
    first.close(); // the phone left the setup network mid-job
    await flush();
    expect(lock.holder).toBe('softap');
    expect(() => agent.openSession('ble')).toThrow(expect.objectContaining({ code: 'DEVICE_BUSY' }));
    const again = agent.openSession('softap'); // the phone is back: it follows its job
    finish();
    await agent.settled();
    expect(agent.state).toBe('provisioned');
    expect(lock.holder).toBe('softap');
    again.close();
    await flush();
    expect(lock.holder).toBeUndefined();
    expect(events).toEqual(['jobStarted:softap', 'jobEnded:softap']);
  });

  it('refuses an unknown transport name with CONFIG_INVALID and keeps the lock free', async () => {
    const { agent, lock } = await startAgent();
    expect(() => agent.openSession('usb')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(lock.holder).toBeUndefined();
  });
});
