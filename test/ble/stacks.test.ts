/**
 * The real bleno and the real noble talking over the virtual air (ble/). One bleno in this process,
 * a second one in a child process attached over the air's unix socket, one noble as the central.
 * Time is simulated (VirtualTimeScheduler), so nothing here waits for wall-clock intervals.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Characteristic, Peripheral } from '@abandonware/noble';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Air,
  DEFAULT_RSSI_DBM,
  closeStackTransport,
  loadBleno,
  loadNoble,
  setBlenoMaxMtu,
  setDefaultAir,
  setNobleMtu,
  startAir,
} from '../../ble/index.js';
import type { AirServer, Bleno, Noble } from '../../ble/index.js';

const SERVICE = '6b1f0001c0de4a1eb1e5a1f0000a1700';
const READ_CHAR = '6b1f0002c0de4a1eb1e5a1f0000a1700';
const WRITE_CHAR = '6b1f0003c0de4a1eb1e5a1f0000a1700';
const NOTIFY_CHAR = '6b1f0004c0de4a1eb1e5a1f0000a1700';
const INDICATE_CHAR = '6b1f0005c0de4a1eb1e5a1f0000a1700';
const OTHER_SERVICE = '6b1f1000c0de4a1eb1e5a1f0000a1700';
const SERVICE_DATA_UUID = 'fd1e';
const SERVICE_DATA = Buffer.from([0x01, 0x02, 0xa5, 0x5a]);
const NAME = 'air-dev';
/** 600 octets: longer than any ATT_MTU, so reads need Read Blob. */
const LONG_VALUE = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7) & 0xff));

interface Writes {
  data: Buffer;
  withoutResponse: boolean;
}

let air: Air;
let server: AirServer;
let dir: string;
let bleno: Bleno;
let noble: Noble;
let blenoAddress = '';
const writes: Writes[] = [];
let notify: ((b: Buffer) => void) | undefined;
let indicate: ((b: Buffer) => void) | undefined;
let indicationsConfirmed = 0;

function once<T extends unknown[]>(
  emitter: { once(e: string, l: (...a: T) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

/** EIR: flags, the 128-bit service UUID, 16-bit service data; name in the scan response. */
function advertisingData(): { adv: Buffer; scan: Buffer } {
  const uuid = Buffer.from(SERVICE, 'hex').reverse();
  const sd = Buffer.concat([Buffer.from(SERVICE_DATA_UUID, 'hex').reverse(), SERVICE_DATA]);
  const adv = Buffer.concat([Buffer.from([2, 0x01, 0x06, 17, 0x07]), uuid, Buffer.from([sd.length + 1, 0x16]), sd]);
  const name = Buffer.from(NAME);
  return { adv, scan: Buffer.concat([Buffer.from([name.length + 1, 0x09]), name]) };
}

function setUpPeripheral(): Promise<void> {
  const B = bleno as unknown as {
    Characteristic: new (o: object) => unknown;
    PrimaryService: new (o: object) => unknown;
  };
  const read = new B.Characteristic({
    uuid: READ_CHAR,
    properties: ['read'],
    onReadRequest: (offset: number, cb: (r: number, d?: Buffer) => void) => cb(0, LONG_VALUE.subarray(offset)),
  });
  const write = new B.Characteristic({
    uuid: WRITE_CHAR,
    properties: ['write', 'writeWithoutResponse'],
    onWriteRequest: (data: Buffer, offset: number, withoutResponse: boolean, cb: (r: number) => void) => {
      writes.push({ data: Buffer.from(data), withoutResponse });
      cb(offset === 0 ? 0 : 0x07);
    },
  });
  const notifyChar = new B.Characteristic({
    uuid: NOTIFY_CHAR,
    properties: ['notify'],
    onSubscribe: (_max: number, update: (b: Buffer) => void) => (notify = update),
    onUnsubscribe: () => (notify = undefined),
  });
  const indicateChar = new B.Characteristic({
    uuid: INDICATE_CHAR,
    properties: ['indicate'],
    onSubscribe: (_max: number, update: (b: Buffer) => void) => (indicate = update),
    onUnsubscribe: () => (indicate = undefined),
    onIndicate: () => indicationsConfirmed++,
  });
  return new Promise((resolve, reject) => {
    bleno.setServices(
      [new B.PrimaryService({ uuid: SERVICE, characteristics: [read, write, notifyChar, indicateChar] })] as never,
      (err) => {
        if (err) return reject(err);
        const { adv, scan } = advertisingData();
        bleno.once('advertisingStart', (e?: Error | null) => (e ? reject(e) : resolve()));
        bleno.startAdvertisingWithEIRData(adv, scan);
      },
    );
  });
}

async function poweredOn(stack: {
  state?: string;
  _state?: string;
  once(e: string, l: (s: string) => void): unknown;
}): Promise<void> {
  if (stack.state === 'poweredOn' || stack._state === 'poweredOn') return;
  for (;;) {
    const [state] = await once<[string]>(stack, 'stateChange');
    if (state === 'poweredOn') return;
  }
}

/** Scans with a service filter until a peripheral matching `match` shows up. */
function discover(uuids: string[], match: (p: Peripheral) => boolean = () => true): Promise<Peripheral> {
  return new Promise((resolve, reject) => {
    const seen = (p: Peripheral): void => {
      if (!match(p)) return;
      noble.removeListener('discover', seen);
      noble.stopScanning(() => resolve(p));
    };
    noble.on('discover', seen);
    noble.startScanning(uuids, false, (err) => err && reject(err));
  });
}

async function connect(p: Peripheral): Promise<Record<string, Characteristic>> {
  await p.connectAsync();
  const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([SERVICE], []);
  return Object.fromEntries(characteristics.map((c) => [c.uuid, c]));
}

async function disconnectFromCentral(p: Peripheral): Promise<void> {
  if (p.state !== 'connected') return;
  const bothSides = Promise.all([once(p, 'disconnect'), once(bleno, 'disconnect')]);
  await p.disconnectAsync();
  await bothSides;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ble-air-'));
  air = new Air();
  setDefaultAir(air);
  server = await startAir({ air, unixPath: join(dir, 'air.sock') });
  bleno = loadBleno('virtual');
  noble = loadNoble('virtual');
  await Promise.all([poweredOn(bleno as never), poweredOn(noble as never)]);
  blenoAddress = (bleno as unknown as { address: string }).address;
  await setUpPeripheral();
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('bleno and noble over the virtual air', () => {
  it('loads each stack once per process, on one transport, and validates MTU settings', () => {
    expect(loadBleno('virtual')).toBe(bleno);
    const codeOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return (err as { code?: unknown }).code;
      }
      return undefined;
    };
    expect(codeOf(() => loadNoble('tcp:127.0.0.1:6402'))).toBe('CONFIG_INVALID');
    expect(codeOf(() => setNobleMtu(518))).toBe('CONFIG_INVALID');
    expect(codeOf(() => setBlenoMaxMtu(bleno, 22))).toBe('CONFIG_INVALID');
  });

  it('gives every controller its own non-zero address', () => {
    expect(blenoAddress).toMatch(/^c0:de:a1:/);
    expect(air.addresses).toContain(blenoAddress);
    expect(new Set(air.addresses).size).toBe(air.addresses.length);
    expect(air.addresses).not.toContain('00:00:00:00:00:00');
  });

  it('scans with a service filter and sees the advertisement, scan response, service data and RSSI', async () => {
    const p = await discover([SERVICE]);
    expect(p.address).toBe(blenoAddress);
    expect(p.advertisement.localName).toBe(NAME);
    expect(p.advertisement.serviceUuids).toEqual([SERVICE]);
    expect(p.advertisement.serviceData).toEqual([{ uuid: SERVICE_DATA_UUID, data: SERVICE_DATA }]);
    expect(p.rssi).toBe(DEFAULT_RSSI_DBM);
    expect(p.connectable).toBe(true);
  });

  it('connects, reads RSSI, reads a value longer than the MTU, writes with and without response', async () => {
    const p = await discover([SERVICE]);
    const accepted = once<[string]>(bleno, 'accept');
    const chars = await connect(p);
    expect((await accepted)[0]).toBe(
      (noble as unknown as { _bindings: { _hci: { address: string } } })._bindings._hci.address,
    );
    expect(await p.updateRssiAsync()).toBe(DEFAULT_RSSI_DBM);
    expect(await chars[READ_CHAR]!.readAsync()).toEqual(LONG_VALUE);

    writes.length = 0;
    await chars[WRITE_CHAR]!.writeAsync(Buffer.from('with'), false);
    for (let i = 0; i < 5; i++) await chars[WRITE_CHAR]!.writeAsync(Buffer.from(`without-${i}`), true);
    // Without response there is no acknowledgement: a read after them is answered after they are served.
    await chars[READ_CHAR]!.readAsync();
    expect(writes.map((w) => [w.data.toString(), w.withoutResponse])).toEqual([
      ['with', false],
      ...[0, 1, 2, 3, 4].map((i) => [`without-${i}`, true]),
    ]);
    await disconnectFromCentral(p);
  });

  it.each([23, 185, 247, 517])('exchanges ATT MTU %i, then reads and long-writes across it', async (mtu) => {
    setNobleMtu(mtu);
    setBlenoMaxMtu(bleno, 517);
    const p = await discover([SERVICE]);
    const blenoMtu = once<[number]>(bleno, 'mtuChange');
    const chars = await connect(p);
    expect(p.mtu).toBe(mtu);
    expect((await blenoMtu)[0]).toBe(mtu);
    expect(await chars[READ_CHAR]!.readAsync()).toEqual(LONG_VALUE);
    writes.length = 0;
    // Longer than MTU − 3: noble uses Prepare/Execute Write and bleno gets the whole value once.
    const long = Buffer.from(LONG_VALUE.subarray(0, 512));
    await chars[WRITE_CHAR]!.writeAsync(long, false);
    expect(writes).toEqual([{ data: long, withoutResponse: false }]);
    await disconnectFromCentral(p);
  });

  it('caps the MTU at the peripheral maximum when the central asks for more', async () => {
    setNobleMtu(517);
    setBlenoMaxMtu(bleno, 185);
    const p = await discover([SERVICE]);
    const blenoMtu = once<[number]>(bleno, 'mtuChange');
    await connect(p);
    expect((await blenoMtu)[0]).toBe(185);
    expect(p.mtu).toBe(185);
    await disconnectFromCentral(p);
    setBlenoMaxMtu(bleno, 517);
  });

  it('notifies and indicates (indications confirmed)', async () => {
    const p = await discover([SERVICE]);
    const chars = await connect(p);
    const n = chars[NOTIFY_CHAR]!;
    const i = chars[INDICATE_CHAR]!;
    await n.subscribeAsync();
    await i.subscribeAsync();
    expect(notify).toBeTypeOf('function');
    expect(indicate).toBeTypeOf('function');
    const notified = once<[Buffer, boolean]>(n, 'data');
    notify!(Buffer.from('note-1'));
    expect(await notified).toEqual([Buffer.from('note-1'), true]);
    const before = indicationsConfirmed;
    const indicated = once<[Buffer, boolean]>(i, 'data');
    indicate!(Buffer.from('ind-1'));
    expect((await indicated)[0]).toEqual(Buffer.from('ind-1'));
    // The confirmation travels back to bleno, which then calls onIndicate.
    await chars[READ_CHAR]!.readAsync();
    expect(indicationsConfirmed).toBe(before + 1);
    await n.unsubscribeAsync();
    await disconnectFromCentral(p);
  });

  it('disconnects from the central side and reconnects', async () => {
    const p = await discover([SERVICE]);
    await connect(p);
    await disconnectFromCentral(p);
    expect(p.state).toBe('disconnected');
    expect(air.linkInfo()).toHaveLength(0);
    const chars = await connect(await discover([SERVICE]));
    expect(p.state).toBe('connected');
    expect(await chars[READ_CHAR]!.readAsync()).toEqual(LONG_VALUE);
    await disconnectFromCentral(p);
  });

  it('disconnects from the peripheral side and reconnects', async () => {
    const p = await discover([SERVICE]);
    await connect(p);
    const both = Promise.all([once(p, 'disconnect'), once(bleno, 'disconnect')]);
    bleno.disconnect();
    await both;
    expect(p.state).toBe('disconnected');
    // bleno advertises again after a disconnect, so the central can come back.
    const chars = await connect(await discover([SERVICE]));
    expect(await chars[READ_CHAR]!.readAsync()).toEqual(LONG_VALUE);
    await disconnectFromCentral(p);
  });

  it('surfaces a link dropped mid-write as a disconnect on both sides, then recovers', async () => {
    setNobleMtu(23);
    const p = await discover([SERVICE]);
    const chars = await connect(p);
    const both = Promise.all([once(p, 'disconnect'), once(bleno, 'disconnect')]);
    air.setFaults({ dropLinkAfterPackets: 5 });
    const write = chars[WRITE_CHAR]!.writeAsync(Buffer.alloc(512, 0xab), false);
    write.catch(() => undefined);
    await both;
    expect(p.state).toBe('disconnected');
    expect(writes.some((w) => w.data.length === 512 && w.data[0] === 0xab)).toBe(false);
    air.setFaults({});
    setNobleMtu(517);
    const again = await connect(await discover([SERVICE]));
    expect(await again[READ_CHAR]!.readAsync()).toEqual(LONG_VALUE);
    await disconnectFromCentral(p);
  });

  it('fails a connection attempt when the air refuses connections', async () => {
    const p = await discover([SERVICE]);
    air.setFaults({ refuseConnections: true });
    await expect(p.connectAsync()).rejects.toThrow();
    air.setFaults({});
    expect(p.state).not.toBe('connected');
  });

  it('holds two peripherals (one in another process, over the air socket) and one central at once', async () => {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'peripheral.ts');
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, server.spec, OTHER_SERVICE, 'second'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      const lines = createInterface({ input: child.stdout! });
      const [line] = await once<[string]>(lines, 'line');
      const childAddress = line.split(' ')[1];
      expect(childAddress).toMatch(/^c0:de:a1:/);
      expect(childAddress).not.toBe(blenoAddress);

      // The service filter separates them.
      const second = await discover([OTHER_SERVICE]);
      expect(second.address).toBe(childAddress);
      const first = await discover([SERVICE]);
      expect(first.address).toBe(blenoAddress);

      const firstChars = await connect(first);
      await second.connectAsync();
      const { characteristics } = await second.discoverSomeServicesAndCharacteristicsAsync([OTHER_SERVICE], []);
      expect(air.linkInfo()).toHaveLength(2);
      const [a, b] = await Promise.all([firstChars[READ_CHAR]!.readAsync(), characteristics[0]!.readAsync()]);
      expect(a).toEqual(LONG_VALUE);
      expect(b.toString()).toBe('second');
      await Promise.all([disconnectFromCentral(first), second.disconnectAsync()]);
      expect(air.linkInfo()).toHaveLength(0);
    } finally {
      child.stdin?.end();
      if (child.exitCode === null) await once(child, 'exit');
    }
  });

  it('counts connection events, ACL packets and bytes, and time on air', () => {
    const c = air.counters();
    expect(c.connections).toBeGreaterThanOrEqual(10);
    expect(c.connectionEvents).toBeGreaterThan(0);
    expect(c.aclPackets).toBeGreaterThan(0);
    expect(c.aclBytes).toBeGreaterThan(c.aclPackets * 4);
    expect(c.airTimeUs).toBeGreaterThan(0);
    expect(c.simTimeUs).toBeGreaterThan(c.airTimeUs);
    expect(c.unknownCommands).toBe(0);
  });

  it('when the peripheral loses its controller, both sides see the disconnect and bleno powers off', async () => {
    const p = await discover([SERVICE]);
    await connect(p);
    const both = Promise.all([once(p, 'disconnect'), once(bleno, 'disconnect')]);
    const off = once<[string]>(bleno, 'stateChange');
    closeStackTransport('bleno');
    await both;
    expect((await off)[0]).toBe('poweredOff');
    expect(air.addresses).not.toContain(blenoAddress);
  });
});
