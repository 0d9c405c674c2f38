/**
 * The whole BLE job, end to end: the device (agent + GATT server on the real bleno) and a phone on
 * the real noble, over the virtual air, against the cloud emulator.
 */
import { deviceIdTag } from '../../protocol/advertisement.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Air, loadBleno, loadNoble, setDefaultAir } from '../../ble/index.js';
import type { Noble } from '../../ble/index.js';
import { ProvisioningGattServer } from '../../ble/peripheral/index.js';
import { compactUuid, SERVICE_UUID } from '../../protocol/gatt.js';
import type { WifiMessage } from '../../protocol/messages.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import { startTestCloud } from './cloud.js';
import type { TestCloud } from './cloud.js';
import { makeDevice } from './harness.js';
import type { DeviceUnderTest } from './harness.js';
import { TestPhone } from './phone.js';
import { decommissionSerial } from './decommission.js';
import { SimulatedWifi } from '../../peripheral/wifi/simulated.js';

const DEVICE_ID = 'pi-ble01';
const NET = { ssid: 'home', passphrase: 'correct horse battery' };
const wifi = (passphrase: string): WifiMessage => ({
  type: 'wifi',
  ssid: new TextEncoder().encode(NET.ssid),
  passphrase,
});
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let cloud: TestCloud;
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

beforeAll(async () => {
  cloud = await startTestCloud();
  dir = await mkdtemp(join(tmpdir(), 'device-ble-'));
  setDefaultAir(new Air());
  const bleno = loadBleno('virtual');
  noble = loadNoble('virtual');
  await Promise.all([poweredOn(bleno as never), poweredOn(noble as never)]);
  const code = generateSetupCode(random);
  setupCode = formatSetupCode(code);
  const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  device = makeDevice({
    stateDir: dir,
    wifi: new SimulatedWifi({ networks: [{ ...NET, rssi: -45, channel: 6 }], joinDelayMs: 0, scanDelayMs: 0 }),
    caPem: cloud.emu.caPem,
    serial: 'SN-BLE',
  });
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
  if (process.env.DEVICE_DEBUG) console.log(device?.log.join('\n'));
  await server?.stop();
  await cloud?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the BLE job, phone (noble) to device (bleno) over the virtual air', () => {
  it('goes from info to provisioned, then factory resets', async () => {
    const phone = new TestPhone(noble);
    await phone.connect(DEVICE_ID);
    const info = await phone.readInfo();
    expect(info).toMatchObject({ deviceId: DEVICE_ID, state: 'idle', versions: [1] });
    // The scan response's service data carries the state code (idle = 0) and the schema version.
    const serviceData = phone.peripheral!.advertisement.serviceData.find((d) => d.uuid === compactUuid(SERVICE_UUID));
    // state idle, version 1 and no flags, then the id tag (PROTOCOL.md §3).
    expect([...serviceData!.data]).toEqual([0, 0x10, ...deviceIdTag(DEVICE_ID)]);
    await phone.handshake(setupCode);
    await phone.status((s) => s.state === 'sessionEstablished');

    await phone.send('control', { type: 'control', command: 'scan' });
    await waitFor(() => phone.scans.length > 0);
    expect(new TextDecoder().decode(phone.scans[0]!.networks[0]!.ssid)).toBe(NET.ssid);

    await phone.send('wifi', wifi(NET.passphrase));
    await phone.send('claim', await cloud.claim());
    const claimDone = server.current!.received.claim!;
    await phone.send('control', { type: 'control', command: 'commit' });
    const done = await phone.status((s) => s.state === 'provisioned' || s.error !== undefined);
    expect(done).toMatchObject({ state: 'provisioned', progress: 100, result: { thingName: 'mything_SN-BLE' } });
    expect(phone.statuses.map((s) => s.state).filter((s, i, a) => a.indexOf(s) === i)).toEqual([
      'sessionEstablished',
      'wifiConnecting',
      'wifiConnected',
      'cloudConnecting',
      'certificate',
      'registering',
      'verifying',
      'provisioned',
    ]);
    expect(phone.errors).toEqual([]);
    report(claimDone, server.current!.received.control!);

    const before = phone.statuses.length;
    await phone.send('control', { type: 'control', command: 'factoryReset' });
    await phone.status((s) => s.state === 'sessionEstablished', before);
    await phone.disconnect();
  }, 60_000);

  it('reports a wrong password and an expired claim, and takes the corrections in the same session', async () => {
    await waitFor(() => device.agent.state === 'idle');
    // SN-BLE is provisioned again after the factory reset: an operator decommissions the old registration.
    await decommissionSerial(cloud.emu, 'SN-BLE');
    const phone = new TestPhone(noble);
    await phone.connect(DEVICE_ID);
    await phone.handshake(setupCode);
    await phone.status((s) => s.state === 'sessionEstablished');

    const fresh = await cloud.claim();
    await phone.send('claim', { ...fresh, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expect(await phone.status((s) => s.error !== undefined)).toMatchObject({
      state: 'sessionEstablished',
      error: 'CLAIM_EXPIRED',
    });
    await phone.send('claim', fresh);

    let from = phone.statuses.length;
    await phone.send('wifi', wifi('not the password'));
    await phone.send('control', { type: 'control', command: 'commit' });
    expect(await phone.status((s) => s.error !== undefined, from)).toMatchObject({
      state: 'failed',
      error: 'WIFI_AUTH_FAILED',
    });

    from = phone.statuses.length;
    await phone.send('wifi', wifi(NET.passphrase));
    await phone.send('control', { type: 'control', command: 'commit' });
    expect(await phone.status((s) => s.state === 'provisioned' || s.error !== undefined, from)).toMatchObject({
      state: 'provisioned',
    });
    await phone.disconnect();
  }, 60_000);

  it('stops advertising once provisioned, advertises again after a factory reset, and refuses a wrong setup code', async () => {
    // Provisioned devices do not advertise the provisioning service: a scan finds nothing.
    await waitFor(() => server.current === undefined);
    expect(device.agent.state).toBe('provisioned');
    expect(await seenWithin(500)).toBe(false);
    // A factory reset (as the CLI or a button would do) brings the advertisement back.
    await device.agent.factoryReset();
    expect(await seenWithin(5_000)).toBe(true);
    const phone = new TestPhone(noble);
    await phone.connect(DEVICE_ID);
    const wrong = formatSetupCode(generateSetupCode(random));
    await expect(phone.handshake(wrong)).rejects.toMatchObject({ code: 'SESSION_AUTH_FAILED' });
    await phone.disconnect();
  }, 60_000);
});

/** Whether a scan sees the provisioning service within `ms` (real time). */
function seenWithin(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (seen: boolean): void => {
      clearTimeout(timer);
      noble.removeListener('discover', onDiscover);
      noble.stopScanning(() => resolve(seen));
    };
    const onDiscover = (): void => done(true);
    const timer = setTimeout(() => done(false), ms);
    noble.on('discover', onDiscover);
    noble.startScanning([compactUuid(SERVICE_UUID)], false);
  });
}

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Time from the claim's last byte to provisioned, by step (figures for the README; no assertion). */
function report(claimDone: number, commitDone: number): void {
  const marks = device.agent.runMarks();
  const rows: string[] = [`claim last byte -> commit received: ${commitDone - claimDone} ms`];
  let prev = commitDone;
  for (const m of marks) {
    rows.push(`-> ${m.state}: +${m.at - prev} ms`);
    prev = m.at;
  }
  rows.push(`total claim -> provisioned: ${marks.at(-1)!.at - claimDone} ms`);
  console.log(`DEVICE-TIMING ${rows.join(' | ')}`);
}
