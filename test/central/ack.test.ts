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
import type { ClaimMessage } from '../../protocol/messages.js';
import type { WriteKind } from '../../protocol/write-window.js';
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

interface SetupOptions {
  /** The device's write window, announced in info and enforced (PROTOCOL.md §2.4). */
  writeWindow?: number;
  /** Whether the link's stack can write without response (default: yes). */
  withoutResponse?: boolean;
  attPayload?: number;
}

/**
 * A device (agent + GattConnection) and a DeviceLink to it; `mute` stops status frames reaching the
 * phone. The link behaves like a BLE stack: a Write Request resolves with the device's response
 * (once every frame before it is handled), a Write Command at once; `kinds` records each write.
 */
async function setup(options: SetupOptions = {}) {
  const P = options.attPayload ?? 244;
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
  const window = options.writeWindow !== undefined ? { writeWindow: options.writeWindow } : {};
  const info = encodeMessage(buildInfo({ deviceId: DEVICE_ID, state: agent.state, ...window }));
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
    attPayload: P,
    disconnect: () => undefined,
    ...window,
  });
  const kinds: WriteKind[] = [];
  const listeners = new Map<NotifyName, (f: Uint8Array) => void>();
  let mute = false;
  for (const n of ['session', 'status', 'scan'] as const) {
    // Each notification in a task of its own, as a BLE link delivers them.
    conn.subscribe(n, (f) => {
      if (!(mute && n === 'status')) setImmediate(() => listeners.get(n)?.(f));
    });
  }
  const link: DeviceLink = {
    attPayload: P,
    writeWithoutResponse: options.withoutResponse ?? true,
    readInfo: () => Promise.resolve(conn.readInfo(0)),
    write: (name, frame, kind = 'request') => {
      kinds.push(kind);
      return new Promise<void>((resolve) => {
        void conn.receive(name, frame, kind, kind === 'request' ? resolve : undefined);
        if (kind === 'command') resolve();
      });
    },
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
    kinds,
    setMute: (m: boolean) => {
      mute = m;
    },
  };
}

/** Well formed for the schema, unusable for the device: refused there (CLAIM_INVALID), and the phone gets its code. */
function bogusClaim(): ClaimMessage {
  const pem = (label: string): string => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  return {
    type: 'claim',
    certificatePem: pem('CERTIFICATE'),
    privateKeyPem: pem('PRIVATE KEY'),
    host: 'example.com',
    port: 8883,
    templateName: 't',
    parameters: {},
    expiresAt: 4_000_000_000,
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
    await expect(t.session.sendAcknowledged(bogusClaim())).rejects.toMatchObject({ code: 'CLAIM_INVALID' });
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

/** The longest run of Write Commands in `kinds`. */
function longestCommandRun(kinds: readonly WriteKind[]): number {
  let run = 0;
  let longest = 0;
  for (const k of kinds) {
    run = k === 'command' ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

describe('the write window on the phone (PROTOCOL.md §2.4)', () => {
  const W = 4;

  it('writes Write Commands within the announced window, a Write Request before each wait, and is acknowledged', async () => {
    const t = await setup({ writeWindow: W, attPayload: 20 });
    expect(t.session.writeWindow).toBe(W);
    const handshake = t.kinds.length;
    const answer = await t.session.sendAcknowledged(wifi);
    expect(answer).toMatchObject({ step: ACCEPTED_STEP.wifi });
    expect(answer.error).toBeUndefined();
    expect(t.kinds).toContain('command');
    expect(longestCommandRun(t.kinds)).toBe(W - 1);
    // Each handshake message and the wifi message end with a request: the phone waits after them.
    expect(t.kinds[handshake - 1]).toBe('request');
    expect(t.kinds.at(-1)).toBe('request');
    expect(t.conn.pendingFrames).toBe(0);
    t.conn.close();
  });

  it('falls back to Write Requests for every frame when the device announces no window', async () => {
    const t = await setup({ attPayload: 20 });
    expect(t.session.writeWindow).toBeUndefined();
    await t.session.sendAcknowledged(wifi);
    expect(t.kinds.length).toBeGreaterThan(W);
    expect(new Set(t.kinds)).toEqual(new Set(['request']));
    t.conn.close();
  });

  it("falls back to Write Requests when the phone's stack cannot write without response", async () => {
    const t = await setup({ writeWindow: W, withoutResponse: false, attPayload: 20 });
    expect(t.session.writeWindow).toBeUndefined();
    await t.session.sendAcknowledged(wifi);
    expect(new Set(t.kinds)).toEqual(new Set(['request']));
    t.conn.close();
  });

  it('writes wifi, claim and commit back to back and reports the first rejection (the claim), not the commit', async () => {
    const t = await setup({ writeWindow: W, attPayload: 20 });
    const from = t.session.statuses.length;
    await expect(t.session.sendJob(wifi, () => Promise.resolve(bogusClaim()))).rejects.toMatchObject({
      code: 'CLAIM_INVALID',
    });
    // The device handled all three in order: wifi accepted, claim refused, then the commit without a claim.
    await t.session.status((s) => s.error === 'UNEXPECTED_MESSAGE', from);
    expect(t.session.statuses.slice(from).map((s) => s.step ?? s.error)).toEqual([
      ACCEPTED_STEP.wifi,
      'CLAIM_INVALID',
      'UNEXPECTED_MESSAGE',
    ]);
    t.conn.close();
  });
});
