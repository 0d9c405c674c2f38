/**
 * Faults of the job itself, end to end over BLE (real noble and bleno over the virtual air, the
 * agent with the real fleet routine, the cloud emulator's broker behind a gate the test controls):
 * expired claim; wrong Wi-Fi password then the right one; broker down during provisioning (at
 * connect, and mid-run at RegisterThing), and down past the retry limit; a recorded session
 * replayed to the device. Each ends provisioned exactly once or failed with the code that reached
 * the central, and nothing half-written on the device's disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDevice } from '../../central/engine/index.js';
import type { ProvisionJob } from '../../central/engine/index.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import type { JournalRecord } from '../../peripheral/storage/journal.js';
import { errorCodeFromWire } from '../../protocol/errors.js';
import { MessageLink } from '../../protocol/link.js';
import { ReportedError } from '../../protocol/notice.js';
import { decodeHandshake, MSG_DONE, MSG_ERROR } from '../../protocol/session/messages.js';
import type { HandshakeMessage } from '../../protocol/session/messages.js';
import type { ClaimMessage } from '../../protocol/messages.js';
import { random, startBleWorld } from './ble-device.js';
import type { BleWorld } from './ble-device.js';
import { BrokerGate } from './broker-gate.js';
import {
  certificateIds,
  expectNothingHalfWritten,
  expectNothingProvisioned,
  expectProvisionedOnce,
  NET,
  startFaultCloud,
  tappedLink,
  waitFor,
} from './world.js';
import type { FaultCloud, WrittenFrame } from './world.js';

const WRONG_PASSPHRASE = 'not the password';

/** Claim certificates live 5 minutes (CreateProvisioningClaim); the device's clock jumps past that. */
const PAST_CLAIM_LIFETIME_MS = 6 * 60_000;

let cloud: FaultCloud;
let w: BleWorld;
let gate: BrokerGate;

beforeAll(async () => {
  cloud = await startFaultCloud('job-faults');
  gate = await BrokerGate.start({ host: cloud.emu.endpoints.mqttHost, port: cloud.emu.endpoints.mqttPort });
  w = await startBleWorld(cloud, { deviceId: 'pi-jobf', serial: 'SN-JOBF', mtu: 247 });
}, 60_000);

afterAll(async () => {
  await w?.stop();
  await gate?.close();
  await cloud?.close();
});

/** The phone's job; the claim points at the broker through the gate. */
const job = (overrides: Partial<ProvisionJob> = {}): ProvisionJob => ({
  deviceId: w.deviceId,
  setupCode: w.setupCode,
  wifi: { ssid: NET.ssid, passphrase: NET.passphrase },
  claim: (): Promise<ClaimMessage> => cloud.claim({ port: gate.port }),
  ...overrides,
});

async function expectProvisionedNow(label: string): Promise<void> {
  await w.reset();
  const before = certificateIds(cloud.emu);
  const result = await provisionDevice(job(), { connect: () => w.connect(), random });
  expect(result.thingName, label).toBe(`mything_${w.serial}`);
  await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before, label);
  await expectNothingHalfWritten(w.stateDir, label);
}

describe('fault: the job fails, and the next attempt provisions exactly once', () => {
  it('expired claim: CLAIM_EXPIRED reaches the central, nothing provisioned; a fresh one provisions', async () => {
    const before = certificateIds(cloud.emu);
    const accepted = gate.accepted;
    w.clockSkewMs = PAST_CLAIM_LIFETIME_MS;
    try {
      await expect(provisionDevice(job(), { connect: () => w.connect(), random })).rejects.toMatchObject({
        code: 'CLAIM_EXPIRED',
      });
    } finally {
      w.clockSkewMs = 0;
    }
    await w.device.agent.settled();
    // Refused on arrival: the device never went to the broker with it.
    expect(gate.accepted).toBe(accepted);
    await expectNothingProvisioned(cloud.emu, w.stateDir, w.serial, before, 'expired claim');
    await expectNothingHalfWritten(w.stateDir, 'expired claim');
    await expectProvisionedNow('after the expired claim');
  }, 60_000);

  it('wrong Wi-Fi password: WIFI_AUTH_FAILED, no Wi-Fi kept, nothing provisioned; the right one provisions', async () => {
    await w.reset();
    const before = certificateIds(cloud.emu);
    const accepted = gate.accepted;
    await expect(
      provisionDevice(job({ wifi: { ssid: NET.ssid, passphrase: WRONG_PASSPHRASE } }), {
        connect: () => w.connect(),
        random,
      }),
    ).rejects.toMatchObject({ code: 'WIFI_AUTH_FAILED' });
    await w.device.agent.settled();
    expect(w.wifi.connected).toBeUndefined();
    expect(gate.accepted).toBe(accepted);
    // The code reaches the device's log too; the failed job is gone (a reboot does not retry a wrong password).
    expect(w.device.log.some((l) => l.includes('WIFI_AUTH_FAILED'))).toBe(true);
    expect(existsSync(join(w.stateDir, 'job.json'))).toBe(false);
    // The claim was never used: no certificate, no thing (this device's thing is from the test before).
    expect([...certificateIds(cloud.emu)].filter((id) => !before.has(id))).toEqual([]);
    await expectNothingHalfWritten(w.stateDir, 'wrong Wi-Fi password');
    const result = await provisionDevice(job(), { connect: () => w.connect(), random });
    expect(result.thingName).toBe(`mything_${w.serial}`);
    expect(w.wifi.connected).toBe(NET.ssid);
    await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before, 'right Wi-Fi password');
    await expectNothingHalfWritten(w.stateDir, 'right Wi-Fi password');
  }, 60_000);
});

describe('fault: broker down during provisioning', () => {
  it('down when the device connects (two connections reset), then up: provisioned exactly once', async () => {
    await w.reset();
    const before = certificateIds(cloud.emu);
    const accepted = gate.accepted;
    gate.resetNext(2);
    const result = await provisionDevice(job(), { connect: () => w.connect(), random });
    expect(result.thingName).toBe(`mything_${w.serial}`);
    expect(gate.accepted - accepted).toBeGreaterThanOrEqual(3);
    await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before, 'broker down at connect');
    await expectNothingHalfWritten(w.stateDir, 'broker down at connect');
  }, 60_000);

  it('goes down mid-run (at RegisterThing) and refuses the next connection: resumes and ends provisioned exactly once', async () => {
    await w.reset();
    const before = certificateIds(cloud.emu);
    const accepted = gate.accepted;
    let cut = false;
    const off = w.device.agent.onStatus((s) => {
      if (s.state === 'registering' && !cut) {
        cut = true;
        gate.resetNext(1);
        gate.cut();
      }
    });
    try {
      const result = await provisionDevice(job(), { connect: () => w.connect(), random });
      expect(result.thingName).toBe(`mything_${w.serial}`);
    } finally {
      off();
    }
    expect(cut).toBe(true);
    // Claim connection, the refused one, the resumed one (then the permanent certificate's).
    expect(gate.accepted - accepted).toBeGreaterThanOrEqual(3);
    // Resumed from the journal: the certificate issued before the cut is the one in use, not a second one.
    const { records } = await new ProvisioningJournal({ path: join(w.stateDir, 'journal.log') }).load();
    expect(records.filter((r) => r.step === 'certificate-requested')).toHaveLength(1);
    expect(records.filter((r) => r.step === 'job-accepted')).toHaveLength(1);
    await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before, 'broker down mid-run');
    await expectNothingHalfWritten(w.stateDir, 'broker down mid-run');
  }, 60_000);

  it('stays down past the retry limit: CLOUD_UNREACHABLE reaches the central; once it is back, provisioned exactly once', async () => {
    await w.reset();
    const before = certificateIds(cloud.emu);
    const port = gate.port;
    await gate.down();
    try {
      await expect(
        provisionDevice(job({ claim: () => cloud.claim({ port }) }), { connect: () => w.connect(), random }),
      ).rejects.toMatchObject({ code: 'CLOUD_UNREACHABLE' });
    } finally {
      await gate.up();
    }
    expect(gate.port).toBe(port);
    await w.device.agent.settled();
    expect(await lastJournalRecord(w.stateDir)).toMatchObject({ step: 'failed', code: 'CLOUD_UNREACHABLE' });
    expect([...certificateIds(cloud.emu)].filter((id) => !before.has(id))).toEqual([]);
    await expectNothingHalfWritten(w.stateDir, 'broker down for good');
    // The user tries again: the device is not stuck half-way.
    const result = await provisionDevice(job(), { connect: () => w.connect(), random });
    expect(result.thingName).toBe(`mything_${w.serial}`);
    await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before, 'broker back');
    await expectNothingHalfWritten(w.stateDir, 'broker back');
  }, 90_000);
});

async function lastJournalRecord(stateDir: string): Promise<JournalRecord | undefined> {
  return (await new ProvisioningJournal({ path: join(stateDir, 'journal.log') }).load()).records.at(-1);
}

describe('fault: replay of a recorded session', () => {
  it('the frames of a successful session, replayed to the device, are refused (SESSION_AUTH_FAILED) and provision nothing', async () => {
    await w.reset();
    const recorded: WrittenFrame[] = [];
    const result = await provisionDevice(job(), {
      connect: async () => tappedLink(await w.connect(), (f) => recorded.push(f)),
      random,
    });
    expect(result.thingName).toBe(`mything_${w.serial}`);
    expect(recorded.filter((f) => f.name === 'session').length).toBeGreaterThanOrEqual(3);
    expect(recorded.filter((f) => f.name === 'claim').length).toBeGreaterThan(1);

    // The device is sold on: factory reset, then an attacker replays everything the phone wrote.
    await w.reset();
    const before = certificateIds(cloud.emu);
    const link = await w.connect();
    const sessionIn = new MessageLink({ characteristic: 'session', attPayload: link.attPayload, now: Date.now });
    const replies: HandshakeMessage[] = [];
    const statusFrames: Uint8Array[] = [];
    link.onFrame('session', (frame) => {
      const bytes = sessionIn.receiveBytes(frame);
      if (bytes) replies.push(decodeHandshake(bytes));
    });
    link.onFrame('status', (frame) => statusFrames.push(frame));
    await link.readInfo();
    let sessionFrames = 0;
    for (const f of recorded) {
      await link.write(f.name, f.frame);
      // A handshake message is answered before the next one is replayed (as the recording was made).
      if (f.name === 'session') {
        sessionFrames++;
        await waitFor(() => (replies.length >= sessionFrames ? true : undefined), 10_000, 'the device to answer');
      }
    }
    const error = await waitFor(
      () => replies.find((r) => r.type === MSG_ERROR),
      10_000,
      'the device to refuse the replay',
    );
    expect(error.type === MSG_ERROR && errorCodeFromWire(error.wire)).toBe('SESSION_AUTH_FAILED');
    expect(replies.some((r) => r.type === MSG_DONE)).toBe(false);
    // Give the replayed wifi/claim/commit frames time to reach the agent if they could.
    await new Promise((r) => setTimeout(r, 300));
    // Nothing sealed reaches the attacker: at most the unsealed error notice (PROTOCOL.md §4.8) that
    // refuses the replayed frames written without a session, carrying only a code.
    const statusIn = new MessageLink({ characteristic: 'status', attPayload: link.attPayload, now: Date.now });
    const received = statusFrames.map((f) => {
      try {
        return statusIn.receiveBytes(f) === undefined ? 'partial' : 'message';
      } catch (e) {
        return e instanceof ReportedError ? e.code : 'malformed';
      }
    });
    expect(received.filter((r) => r !== 'partial')).toEqual(received.length > 0 ? ['SESSION_REQUIRED'] : []);
    await link.close();
    await w.device.agent.settled();
    expect(w.device.agent.state).toBe('idle');
    expect([...certificateIds(cloud.emu)].filter((id) => !before.has(id))).toEqual([]);
    await expectNothingHalfWritten(w.stateDir, 'replay');
    expect(await new CredentialStore({ dir: join(w.stateDir, 'credentials') }).loadCommitted()).toBeUndefined();
  }, 60_000);
});

describe('after every fault above', () => {
  it('no secret reached the device log or its journal', () => {
    const journal = join(w.stateDir, 'journal.log');
    const text = w.device.log.join('\n') + (existsSync(journal) ? readFileSync(journal, 'utf8') : '');
    expect(w.device.log.length).toBeGreaterThan(0);
    for (const secret of [NET.passphrase, WRONG_PASSPHRASE, 'PRIVATE KEY', w.setupCode])
      expect(text).not.toContain(secret);
  });
});
