/**
 * GattConnection without bleno: frames in, notifications out, a real agent behind it. Covers what
 * bleno cannot show with one central: a phone arriving while another transport holds the agent
 * (DEVICE_BUSY), messages before a session (SESSION_REQUIRED), and the idle timeout.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../protocol/codec.js';
import { MessageLink } from '../../protocol/link.js';
import type { Message, StatusMessage } from '../../protocol/messages.js';
import { AttemptLimiter, formatSetupCode, generateSetupCode, makeVerifier, MemoryAttemptStore, MIN_PBKDF2_ITERATIONS, SessionInitiator } from '../../protocol/session/index.js';
import { JobFile, ProvisioningAgent } from '../agent/index.js';
import type { WifiBackend } from '../agent/index.js';
import { systemClock } from '../fleet/clock.js';
import { CredentialStore } from '../storage/credential-store.js';
import { ProvisioningJournal } from '../storage/journal.js';
import { GattConnection } from './connection.js';
import type { FramedName } from './connection.js';
import { buildInfo } from './info.js';
import type { Timers } from './timers.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const DEVICE_ID = 'pi-unit';

class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, () => void>();
  setTimeout(fn: () => void): unknown {
    const id = this.next++;
    this.pending.set(id, fn);
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  fireAll(): void {
    const fns = [...this.pending.values()];
    this.pending.clear();
    for (const f of fns) f();
  }
}

const noWifi: WifiBackend = {
  scan: () => Promise.resolve([{ ssid: new TextEncoder().encode('home'), rssi: -40, security: 'wpa2', channel: 1 }]),
  join: () => Promise.resolve({}),
  forget: () => Promise.resolve(),
};

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'gatt-conn-'));
  dirs.push(dir);
  const agent = new ProvisioningAgent({
    store: new CredentialStore({ dir: join(dir, 'credentials') }),
    journal: new ProvisioningJournal({ path: join(dir, 'journal.log') }),
    jobFile: new JobFile(dir),
    wifi: noWifi,
    fleet: () => Promise.reject(new Error('not used')),
    clock: systemClock,
  });
  await agent.start();
  const code = generateSetupCode(random);
  const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  const info = encodeMessage(buildInfo({ deviceId: DEVICE_ID, state: agent.state }));
  const timers = new ManualTimers();
  let disconnects = 0;
  const conn = new GattConnection({
    agent, verifier, attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now), info, random, now: Date.now,
    timers, idleTimeoutMs: 1_000, attPayload: 244, disconnect: () => disconnects++,
  });
  // The phone's side of the links.
  const phone = Object.fromEntries((['session', 'wifi', 'claim', 'control', 'status', 'scan'] as const).map((n) => [n, new MessageLink({ characteristic: n, attPayload: 244, now: Date.now })])) as Record<FramedName, MessageLink>;
  const statuses: StatusMessage[] = [];
  const sessionIn: Uint8Array[] = [];
  conn.subscribe('session', (f) => {
    const b = phone.session.receiveBytes(f);
    if (b) sessionIn.push(b);
  });
  // Status may be notified right after `done`, before the phone has installed its cipher: hold it.
  let early: Uint8Array[] | undefined = [];
  const onStatus = (f: Uint8Array): void => {
    const m = phone.status.receive(f);
    if (m?.type === 'status') statuses.push(m);
  };
  conn.subscribe('status', (f) => (early ? early.push(f) : onStatus(f)));
  const write = async (name: FramedName, frames: Uint8Array[]): Promise<void> => {
    for (const f of frames) await conn.write(name, f);
  };
  const handshake = async (): Promise<void> => {
    const hs = new SessionInitiator({ setupCode: formatSetupCode(code), deviceId: DEVICE_ID, info, random });
    await write('session', phone.session.sendBytes(hs.start()));
    for (;;) {
      const r = hs.receive(sessionIn.shift()!);
      if (r.reply) await write('session', phone.session.sendBytes(r.reply));
      if (r.status === 'established') {
        for (const n of ['wifi', 'claim', 'control', 'status', 'scan'] as const) phone[n].setCipher(r.channel);
        const held = early ?? [];
        early = undefined;
        held.forEach(onStatus);
        return;
      }
      if (r.status === 'failed') throw r.error;
    }
  };
  const send = (name: 'wifi' | 'claim' | 'control', m: Message): Promise<void> => write(name, phone[name].send(m));
  return { agent, conn, timers, statuses, handshake, send, disconnects: () => disconnects };
}

describe('GattConnection', () => {
  it('establishes a session, opens the agent for the phone and answers sealed status', async () => {
    const t = await setup();
    await t.handshake();
    expect(t.agent.state).toBe('sessionEstablished');
    expect(t.statuses.at(-1)).toMatchObject({ state: 'sessionEstablished' });
    await t.send('control', { type: 'control', command: 'commit' });
    expect(t.statuses.at(-1)).toMatchObject({ state: 'sessionEstablished', error: 'UNEXPECTED_MESSAGE' });
    t.conn.close();
    expect(t.agent.state).toBe('idle');
  });

  it('drops sealed-channel writes before a session (SESSION_REQUIRED is all it can do: nothing is sealed yet)', async () => {
    const t = await setup();
    const clear = new MessageLink({ characteristic: 'control', attPayload: 244, now: Date.now, sealed: false });
    for (const f of clear.send({ type: 'control', command: 'commit' })) await t.conn.write('control', f);
    expect(t.statuses).toEqual([]);
    expect(t.agent.state).toBe('idle');
  });

  it('tells a phone that arrives while another transport holds the agent DEVICE_BUSY, and drops it', async () => {
    const t = await setup();
    const softap = t.agent.openSession('softap');
    await t.handshake();
    expect(t.statuses.at(-1)).toMatchObject({ error: 'DEVICE_BUSY' });
    expect(t.disconnects()).toBe(1);
    softap.close();
  });

  it('ends an idle session with SESSION_TIMEOUT and frees the agent', async () => {
    const t = await setup();
    await t.handshake();
    t.timers.fireAll();
    expect(t.statuses.at(-1)).toMatchObject({ error: 'SESSION_TIMEOUT' });
    expect(t.disconnects()).toBe(1);
    expect(t.agent.state).toBe('idle');
    expect(t.agent.busy).toBe(false);
  });
});
