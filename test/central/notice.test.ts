/**
 * Error notices and notification state over the real bleno and noble on the virtual air
 * (PROTOCOL.md §2.3, §4.8): the device's code reaches the phone before the device drops the link,
 * and turning notifications off never desynchronizes the one device-to-phone counter.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Characteristic, Peripheral } from '@abandonware/noble';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Air, loadBleno, loadNoble, setDefaultAir } from '../../ble/index.js';
import type { Noble } from '../../ble/index.js';
import { DeviceSession } from '../../central/engine/index.js';
import { findDevice, NobleDeviceLink } from '../../ble/central/index.js';
import type { DeviceLink } from '../../central/engine/index.js';
import { ProvisioningGattServer } from '../../ble/peripheral/index.js';
import { SimulatedWifi } from '../../peripheral/wifi/simulated.js';
import { crc32 } from '../../protocol/crc32.js';
import { FIRST_FRAME_HEADER_BYTES, fragment } from '../../protocol/framing.js';
import { CHARACTERISTICS, compactUuid } from '../../protocol/gatt.js';
import { ReportedError } from '../../protocol/notice.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import { makeDevice } from '../device/harness.js';
import type { DeviceUnderTest } from '../device/harness.js';

const DEVICE_ID = 'pi-notice';
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let dir: string;
let noble: Noble;
let device: DeviceUnderTest;
let server: ProvisioningGattServer;
let setupCode: string;

async function poweredOn(stack: {
  state?: string;
  _state?: string;
  once(e: string, l: (s: string) => void): unknown;
}): Promise<void> {
  while (stack.state !== 'poweredOn' && stack._state !== 'poweredOn') {
    await new Promise<void>((resolve) => stack.once('stateChange', () => resolve()));
  }
}

/** Waits for `done()`, polling; bounded by a count of polls, not by a duration assert. */
async function until(done: () => boolean, polls = 2_000): Promise<void> {
  for (let i = 0; i < polls && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
}

interface Connected {
  readonly peripheral: Peripheral;
  readonly link: NobleDeviceLink;
  readonly dropped: () => boolean;
}

async function connect(): Promise<Connected> {
  await until(() => server.current === undefined);
  const peripheral = await findDevice(noble, DEVICE_ID);
  const link = await NobleDeviceLink.connect(peripheral);
  let dropped = false;
  link.onDrop(() => {
    dropped = true;
  });
  return { peripheral, link, dropped: () => dropped };
}

function characteristic(peripheral: Peripheral, name: 'status' | 'scan'): Characteristic {
  const uuid = compactUuid(CHARACTERISTICS[name].uuid);
  const c = peripheral.services.flatMap((s) => s.characteristics ?? []).find((x) => x.uuid === uuid);
  if (!c) throw new Error(`no ${name} characteristic`);
  return c;
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'central-notice-'));
  setDefaultAir(new Air());
  const bleno = loadBleno('virtual');
  noble = loadNoble('virtual');
  await Promise.all([poweredOn(bleno as never), poweredOn(noble as never)]);
  const code = generateSetupCode(random);
  setupCode = formatSetupCode(code);
  const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  const wifi = new SimulatedWifi({
    networks: [{ ssid: 'home', passphrase: 'correct horse battery', rssi: -45, channel: 6 }],
    joinDelayMs: 0,
    scanDelayMs: 0,
  });
  device = makeDevice({ stateDir: dir, wifi, caPem: 'unused: no job is committed here', serial: 'SN-NOTICE' });
  await device.agent.start();
  server = new ProvisioningGattServer({
    bleno,
    agent: device.agent,
    verifier,
    attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
    random,
    log: (l) => device.log.push(l),
  });
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('error notices over BLE', () => {
  it('refuses a 16 KiB first frame on session at once: the phone gets MESSAGE_TOO_LARGE, then the device drops the link', async () => {
    const { link, dropped } = await connect();
    const session = new DeviceSession(link, { now: Date.now, random });
    await link.write('session', fragment(new Uint8Array(16_384), link.attPayload, 0)[0]!);
    const err = await failureOf(session.status(() => true, 0));
    expect(err).toBeInstanceOf(ReportedError);
    expect(err).toMatchObject({ code: 'MESSAGE_TOO_LARGE', reportedWire: 0x0105 });
    // The phone does not close: the device drops the link itself after the notice.
    await until(dropped);
    expect(device.log.join('\n')).toMatch(/error MESSAGE_TOO_LARGE/);
  });

  it('answers a sealed-channel write before any session with SESSION_REQUIRED', async () => {
    const { link, dropped } = await connect();
    const session = new DeviceSession(link, { now: Date.now, random });
    await link.write('wifi', fragment(Uint8Array.of(1, 2, 3), link.attPayload, 0)[0]!);
    expect(await failureOf(session.status(() => true, 0))).toMatchObject({ code: 'SESSION_REQUIRED' });
    await until(dropped);
  });

  it('names SESSION_TAMPERED when a sealed message is altered in flight (not just a dropped link)', async () => {
    const { link, dropped } = await connect();
    const tampering: DeviceLink = {
      attPayload: link.attPayload,
      readInfo: () => link.readInfo(),
      onFrame: (n, l) => link.onFrame(n, l),
      onDrop: (l) => link.onDrop(l),
      close: () => link.close(),
      write: (name, frame) => {
        if (name !== 'control') return link.write(name, frame);
        // Flip a bit of the sealed data and mend the CRC-32: only the AEAD notices.
        const bad = new Uint8Array(frame);
        bad[bad.length - 1]! ^= 0x01;
        new DataView(bad.buffer).setUint32(3, crc32(bad.subarray(FIRST_FRAME_HEADER_BYTES)), false);
        return link.write(name, bad);
      },
    };
    const session = new DeviceSession(tampering, { now: Date.now, random });
    await session.handshake(setupCode, DEVICE_ID);
    const err = await failureOf(session.scan());
    expect(err).toBeInstanceOf(ReportedError);
    expect(err).toMatchObject({ code: 'SESSION_TAMPERED' });
    await until(dropped);
    await until(() => !device.agent.busy);
  });
});

describe('notification state over BLE', () => {
  it('unsubscribe from status and scan, ask for a scan, then read status: no SESSION_REORDERED', async () => {
    const { peripheral, link } = await connect();
    const session = new DeviceSession(link, { now: Date.now, random });
    await session.handshake(setupCode, DEVICE_ID);
    await session.status(() => true, 0);
    await characteristic(peripheral, 'status').unsubscribeAsync();
    await characteristic(peripheral, 'scan').unsubscribeAsync();
    await session.send('control', { type: 'control', command: 'scan' });
    // The write is acknowledged before the device handles it: give it time to (not) seal a result.
    await until(() => device.log.some((l) => /scan not sent|NOTIFICATIONS_DISABLED/.test(l)));
    // Before: the scan result was sealed with counter 1 and lost; this read (counter 2) failed SESSION_REORDERED.
    expect(await session.readStatus()).toMatchObject({ type: 'status', state: 'sessionEstablished' });
    // Scan notifications back on: the scan works and its result opens in order.
    await characteristic(peripheral, 'status').subscribeAsync();
    await characteristic(peripheral, 'scan').subscribeAsync();
    const scan = await session.scan();
    expect(scan.networks.map((n) => new TextDecoder().decode(n.ssid))).toEqual(['home']);
    expect(await session.readStatus()).toMatchObject({ type: 'status' });
    await link.close();
  });
});
