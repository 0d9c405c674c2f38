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
import type { Message, ScanMessage, StatusMessage } from '../../protocol/messages.js';
import { ACCEPTED_STEP } from '../../protocol/messages.js';
import { isErrorNotice, ReportedError } from '../../protocol/notice.js';
import { fragment } from '../../protocol/framing.js';
import { WriteWindowSender } from '../../protocol/write-window.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
  SessionInitiator,
} from '../../protocol/session/index.js';
import { JobFile, ProvisioningAgent } from '../agent/index.js';
import type { WifiBackend } from '../wifi/index.js';
import { systemClock } from '../system/index.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { CredentialStore } from '../storage/credential-store.js';
import { ProvisioningJournal } from '../storage/journal.js';
import { GattConnection } from './connection.js';
import type { FramedName } from './connection.js';
import { buildInfo } from './info.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const DEVICE_ID = 'pi-unit';

const noWifi: WifiBackend = {
  scan: () => Promise.resolve([{ ssid: new TextEncoder().encode('home'), rssi: -40, security: 'wpa2', channel: 1 }]),
  join: () => Promise.resolve({}),
  current: () => Promise.resolve({ connected: false }),
  forget: () => Promise.resolve(),
};

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(options: { writeWindow?: number; attPayload?: number } = {}) {
  const P = options.attPayload ?? 244;
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
    agent,
    verifier,
    attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
    info,
    random,
    now: Date.now,
    timers,
    idleTimeoutMs: 1_000,
    attPayload: P,
    disconnect: () => disconnects++,
    ...(options.writeWindow !== undefined ? { writeWindow: options.writeWindow } : {}),
  });
  // The phone's side of the links.
  const phone = Object.fromEntries(
    (['session', 'wifi', 'claim', 'control', 'status', 'scan'] as const).map((n) => [
      n,
      new MessageLink({ characteristic: n, attPayload: P, now: Date.now }),
    ]),
  ) as Record<FramedName, MessageLink>;
  const statuses: StatusMessage[] = [];
  const scans: ScanMessage[] = [];
  /** Error notices received on status (PROTOCOL.md §4.8), as the codes the phone raises. */
  const notices: string[] = [];
  const sessionIn: Uint8Array[] = [];
  conn.subscribe('session', (f) => {
    const b = phone.session.receiveBytes(f);
    if (b) sessionIn.push(b);
  });
  // Status may be notified right after `done`, before the phone has installed its cipher: hold it.
  let early: Uint8Array[] | undefined = [];
  const onStatus = (f: Uint8Array): void => {
    try {
      const m = phone.status.receive(f);
      if (m?.type === 'status') statuses.push(m);
    } catch (err) {
      if (!(err instanceof ReportedError)) throw err;
      notices.push(err.code);
    }
  };
  // A one-frame notice needs no cipher: it is read at once, even before the handshake completes.
  const isNoticeFrame = (f: Uint8Array): boolean =>
    f.length === 12 && (f[0]! & 0xc0) === 0xc0 && isErrorNotice(f.subarray(7));
  const statusNotifier = (f: Uint8Array): void => (early && !isNoticeFrame(f) ? void early.push(f) : onStatus(f));
  const scanNotifier = (f: Uint8Array): void => {
    const m = phone.scan.receive(f);
    if (m?.type === 'scan') scans.push(m);
  };
  conn.subscribe('status', statusNotifier);
  conn.subscribe('scan', scanNotifier);
  /** The phone reads status (a sealed read value, SESSION.md §7.3: it takes the next counter). */
  const readStatus = (): Message => phone.status.decodeValue(conn.readStatus(0));
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
  return {
    agent,
    conn,
    timers,
    statuses,
    scans,
    notices,
    handshake,
    send,
    write,
    readStatus,
    statusNotifier,
    scanNotifier,
    phone,
    disconnects: () => disconnects,
  };
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

  it('answers a sealed-channel write before a session with one SESSION_REQUIRED notice, then drops the link', async () => {
    const t = await setup();
    const clear = new MessageLink({ characteristic: 'control', attPayload: 244, now: Date.now, sealed: false });
    for (const f of clear.send({ type: 'control', command: 'commit' })) await t.conn.write('control', f);
    // A second bad write after the notice is not answered: one notice per link.
    for (const f of clear.send({ type: 'control', command: 'scan' })) await t.conn.write('control', f);
    expect(t.statuses).toEqual([]);
    expect(t.notices).toEqual(['SESSION_REQUIRED']);
    expect(t.agent.state).toBe('idle');
    expect(t.disconnects()).toBe(0);
    t.timers.fireAll();
    expect(t.disconnects()).toBe(1);
  });

  it('refuses a first frame on session declaring more than a handshake message at once (MESSAGE_TOO_LARGE notice)', async () => {
    const t = await setup();
    const big = fragment(new Uint8Array(16_384), 244, 0);
    await t.conn.write('session', big[0]!);
    expect(t.notices).toEqual(['MESSAGE_TOO_LARGE']);
    t.timers.fireAll();
    expect(t.disconnects()).toBe(1);
  });

  it('reports a garbage frame before a session (FRAME_MALFORMED notice)', async () => {
    const t = await setup();
    await t.conn.write('session', Uint8Array.of(0x80));
    expect(t.notices).toEqual(['FRAME_MALFORMED']);
  });

  it('ends the session on a tampered message with a SESSION_TAMPERED notice, not a sealed status', async () => {
    const t = await setup();
    await t.handshake();
    const before = t.statuses.length;
    const frames = t.phone.control.send({ type: 'control', command: 'scan' });
    frames[frames.length - 1]![frames[frames.length - 1]!.length - 1]! ^= 0x01;
    // The CRC would catch the flipped bit first: recompute it as an attacker would.
    const [f0] = fragment(reframe(frames), 244, 1);
    await t.write('control', [f0!]);
    expect(t.notices).toEqual(['SESSION_TAMPERED']);
    expect(t.statuses.length).toBe(before);
    expect(t.agent.busy).toBe(false);
    t.timers.fireAll();
    expect(t.disconnects()).toBe(1);
  });

  it('acknowledges wifi and claim with a status of the accepted step', async () => {
    const t = await setup();
    await t.handshake();
    await t.send('wifi', { type: 'wifi', ssid: new TextEncoder().encode('home'), passphrase: 'correct horse' });
    expect(t.statuses.at(-1)).toMatchObject({ state: 'sessionEstablished', step: ACCEPTED_STEP.wifi });
    expect(t.statuses.at(-1)?.error).toBeUndefined();
  });

  it('seals nothing for a characteristic whose notifications are off: unsubscribe, scan, then read status', async () => {
    const t = await setup();
    await t.handshake();
    t.conn.unsubscribe('status');
    t.conn.unsubscribe('scan');
    await t.send('control', { type: 'control', command: 'scan' });
    // Before the fix the scan result was sealed (counter 1) and lost: this read failed SESSION_REORDERED.
    expect(t.readStatus()).toMatchObject({ type: 'status', state: 'sessionEstablished' });
    expect(t.scans).toEqual([]);
    expect(t.notices).toEqual([]);
  });

  it('refuses a scan while scan notifications are off with NOTIFICATIONS_DISABLED, counters in step', async () => {
    const t = await setup();
    await t.handshake();
    t.conn.unsubscribe('scan');
    await t.send('control', { type: 'control', command: 'scan' });
    expect(t.statuses.at(-1)).toMatchObject({ error: 'NOTIFICATIONS_DISABLED' });
    expect(t.readStatus()).toMatchObject({ type: 'status' });
    t.conn.subscribe('scan', t.scanNotifier);
    await t.send('control', { type: 'control', command: 'scan' });
    expect(t.scans).toHaveLength(1);
    expect(t.readStatus()).toMatchObject({ type: 'status' });
  });

  it('tells a phone that arrives while another transport holds the agent DEVICE_BUSY, and drops it', async () => {
    const t = await setup();
    const softap = t.agent.openSession('softap');
    await t.handshake();
    expect(t.statuses.at(-1)).toMatchObject({ error: 'DEVICE_BUSY' });
    expect(t.notices).toEqual(['DEVICE_BUSY']);
    t.timers.fireAll();
    expect(t.disconnects()).toBe(1);
    softap.close();
  });

  it('ends an idle session with SESSION_TIMEOUT and frees the agent', async () => {
    const t = await setup();
    await t.handshake();
    t.timers.fireAll();
    expect(t.notices).toEqual(['SESSION_TIMEOUT']);
    t.timers.fireAll();
    expect(t.disconnects()).toBe(1);
    expect(t.agent.state).toBe('idle');
    expect(t.agent.busy).toBe(false);
  });
});

describe('GattConnection with a write window (PROTOCOL.md §2.4)', () => {
  const W = 4;
  const wifi: Message = { type: 'wifi', ssid: new TextEncoder().encode('home'), passphrase: 'correct horse battery' };

  it('takes W − 1 Write Commands and a Write Request, answers the request once all are handled, and acknowledges', async () => {
    const t = await setup({ writeWindow: W, attPayload: 20 });
    await t.handshake();
    const frames = t.phone.wifi.send(wifi);
    expect(frames.length).toBeGreaterThan(W);
    const sender = new WriteWindowSender(W);
    let maxPending = 0;
    let last: Promise<void> = Promise.resolve();
    for (const [i, f] of frames.entries()) {
      const kind = sender.next(i === frames.length - 1);
      const answered = new Promise<void>((resolve) => {
        last = t.conn.receive('wifi', f, kind, resolve);
      });
      maxPending = Math.max(maxPending, t.conn.pendingFrames);
      // The phone waits for a request's response only; commands go at once.
      if (kind === 'request') {
        await answered;
        expect(t.conn.pendingFrames).toBe(0);
      }
    }
    await last;
    expect(maxPending).toBe(W);
    expect(t.notices).toEqual([]);
    expect(t.statuses.some((s) => s.step === ACCEPTED_STEP.wifi && s.error === undefined)).toBe(true);
  });

  it('ends the link with WRITE_WINDOW_EXCEEDED for the W-th Write Command, and queues nothing more', async () => {
    const t = await setup({ writeWindow: W, attPayload: 20 });
    await t.handshake();
    const before = t.statuses.length;
    const frames = t.phone.wifi.send(wifi);
    const pending: number[] = [];
    // A hostile phone: every frame a Write Command, never waiting; then ten thousand more.
    for (const f of frames) {
      void t.conn.receive('wifi', f, 'command');
      pending.push(t.conn.pendingFrames);
    }
    for (let i = 0; i < 10_000; i++) {
      void t.conn.receive('wifi', frames[1]!, 'command');
      pending.push(t.conn.pendingFrames);
    }
    expect(Math.max(...pending)).toBe(W - 1);
    expect(pending.at(-1)).toBeLessThanOrEqual(W - 1);
    await t.conn.receive('wifi', frames[0]!, 'request');
    expect(t.notices).toEqual(['WRITE_WINDOW_EXCEEDED']);
    // Dropped before the message completed: no acknowledgement, no sealed status for it.
    expect(t.statuses.slice(before).some((s) => s.step === ACCEPTED_STEP.wifi)).toBe(false);
    t.timers.fireAll();
    expect(t.disconnects()).toBe(1);
    expect(t.agent.busy).toBe(false);
  });

  it('ends the link when a frame arrives while W are unhandled (a request before the last was answered)', async () => {
    const t = await setup({ writeWindow: W, attPayload: 20 });
    const frames = t.phone.session.sendBytes(new Uint8Array(100));
    for (const kind of ['command', 'command', 'command', 'request'] as const)
      void t.conn.receive('session', frames[0]!, kind);
    expect(t.conn.pendingFrames).toBe(W);
    void t.conn.receive('session', frames[1]!, 'request');
    expect(t.conn.pendingFrames).toBe(W);
    expect(t.notices).toEqual(['WRITE_WINDOW_EXCEEDED']);
  });

  it('without a window (SoftAP), Write Requests are handled as before and nothing is counted', async () => {
    const t = await setup({ attPayload: 20 });
    await t.handshake();
    await t.send('wifi', wifi);
    expect(t.conn.pendingFrames).toBe(0);
    expect(t.statuses.at(-1)).toMatchObject({ step: ACCEPTED_STEP.wifi });
  });
});

/** The sealed bytes carried by one message's frames (to re-fragment them with a valid CRC). */
function reframe(frames: Uint8Array[]): Uint8Array {
  const parts = frames.map((f, i) => f.subarray(i === 0 ? 7 : 1));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
