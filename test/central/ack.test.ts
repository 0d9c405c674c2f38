/**
 * The phone waits for the device's answer to wifi and claim (PROTOCOL.md §5.7) with a bound:
 * DeviceSession over an in-memory link to the device's own GattConnection and a real agent.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACK_TIMEOUT_MS, DeviceSession } from '../../central/engine/index.js';
import type { DeviceLink, NotifyName } from '../../central/engine/index.js';
import { JobFile, ProvisioningAgent } from '../../peripheral/agent/index.js';
import { systemClock } from '../../peripheral/system/index.js';
import { ManualTimers } from '../support/manual-timers.js';
import { GattConnection } from '../../peripheral/engine/connection.js';
import { buildInfo } from '../../peripheral/engine/info.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import { encodeMessage } from '../../protocol/codec.js';
import { ACCEPTED_STEP } from '../../protocol/messages.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const DEVICE_ID = 'pi-ack';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A device (agent + GattConnection) and a DeviceLink to it; `mute` stops status frames reaching the phone. */
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'central-ack-'));
  dirs.push(dir);
  const agent = new ProvisioningAgent({
    store: new CredentialStore({ dir: join(dir, 'credentials') }),
    journal: new ProvisioningJournal({ path: join(dir, 'journal.log') }),
    jobFile: new JobFile(dir),
    fleet: () => Promise.reject(new Error('not used')),
    clock: systemClock,
    wifi: {
      scan: () => Promise.resolve([]),
      join: () => Promise.resolve({}),
      current: () => Promise.resolve({ connected: false }),
      forget: () => Promise.resolve(),
    },
  });
  await agent.start();
  const code = generateSetupCode(random);
  const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  const info = encodeMessage(buildInfo({ deviceId: DEVICE_ID, state: agent.state }));
  const deviceTimers = new ManualTimers();
  const conn = new GattConnection({
    agent,
    verifier,
    attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
    info,
    random,
    now: Date.now,
    timers: deviceTimers,
    idleTimeoutMs: 120_000,
    attPayload: 244,
    disconnect: () => undefined,
  });
  const listeners = new Map<NotifyName, (f: Uint8Array) => void>();
  let mute = false;
  for (const n of ['session', 'status', 'scan'] as const) {
    // Each notification in a task of its own, as a BLE link delivers them.
    conn.subscribe(n, (f) => {
      if (!(mute && n === 'status')) setImmediate(() => listeners.get(n)?.(f));
    });
  }
  const link: DeviceLink = {
    attPayload: 244,
    readInfo: () => Promise.resolve(conn.readInfo(0)),
    write: (name, frame) => conn.write(name, frame),
    onFrame: (n, l) => {
      listeners.set(n, l);
    },
    onDrop: () => undefined,
    close: () => Promise.resolve(conn.close()),
  };
  const timers = new ManualTimers();
  const session = new DeviceSession(link, { now: Date.now, random, timers });
  await session.handshake(formatSetupCode(code), DEVICE_ID);
  await session.status(() => true, 0);
  return {
    session,
    timers,
    conn,
    setMute: (m: boolean) => {
      mute = m;
    },
  };
}

const wifi = { type: 'wifi' as const, ssid: new TextEncoder().encode('home'), passphrase: 'correct horse battery' };

describe('acknowledged wifi and claim', () => {
  it('resolves with the accepted status, without any timer firing', async () => {
    const t = await setup();
    const answer = await t.session.sendAcknowledged(wifi);
    expect(answer).toMatchObject({ state: 'sessionEstablished', step: ACCEPTED_STEP.wifi });
    expect(answer.error).toBeUndefined();
    t.conn.close();
  });

  it('rejects with the device code when the message is refused', async () => {
    const t = await setup();
    // Well formed for the schema, unusable for the device: refused there, and the phone gets its code.
    const pem = (label: string): string => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
    const bogus = {
      type: 'claim' as const,
      certificatePem: pem('CERTIFICATE'),
      privateKeyPem: pem('PRIVATE KEY'),
      host: 'example.com',
      port: 8883,
      templateName: 't',
      parameters: {},
      expiresAt: 4_000_000_000,
    };
    await expect(t.session.sendAcknowledged(bogus)).rejects.toMatchObject({ code: 'CLAIM_INVALID' });
    t.conn.close();
  });

  it('gives up after ACK_TIMEOUT_MS with SESSION_TIMEOUT when no answer comes', async () => {
    const t = await setup();
    t.setMute(true);
    const pending = t.session.sendAcknowledged(wifi);
    const outcome = pending.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    // Let the write and the device's handling run; nothing reaches the phone.
    for (let i = 0; i < 20 && ![...t.timers.pending.values()].some((x) => x.ms === ACK_TIMEOUT_MS); i++)
      await new Promise((r) => setImmediate(r));
    expect([...t.timers.pending.values()].map((x) => x.ms)).toContain(ACK_TIMEOUT_MS);
    t.timers.fire(ACK_TIMEOUT_MS);
    expect(await outcome).toMatchObject({ code: 'SESSION_TIMEOUT' });
    t.conn.close();
  });
});
