/**
 * The Web Bluetooth link against the device's real per-connection engine (GattConnection + agent),
 * through a Web Bluetooth object made here (what a browser's navigator.bluetooth offers, in memory):
 * the chooser's filter, subscriptions, the handshake and a scan through DeviceSession, the drop, and
 * the failures' codes. The real browser runs are test/web-app/.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { objectContaining, textContaining } from '../../test/matchers.js';
import { DeviceSession } from '../../central/engine/index.js';
import { JobFile, ProvisioningAgent } from '../../peripheral/agent/index.js';
import { systemClock } from '../../peripheral/system/index.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { GattConnection } from '../../peripheral/engine/connection.js';
import { buildInfo } from '../../peripheral/engine/info.js';
import type { FramedName } from '../../peripheral/engine/connection.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import { CHARACTERISTICS, encodeMessage, SERVICE_UUID } from '../../protocol/index.js';
import type { CharacteristicName } from '../../protocol/index.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import type { WriteKind } from '../../protocol/index.js';
import {
  AVAILABILITY_TIMEOUT_MS,
  chooseDevice,
  connectWebBluetooth,
  REQUEST_DEVICE_OPTIONS,
  webBluetooth,
} from './index.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const DEVICE_ID = 'pi-web';

/** One characteristic as the browser presents it: EventTarget, `value`, promises. */
class FakeCharacteristic extends EventTarget {
  value: DataView | undefined;
  notifying = false;
  readonly written: Uint8Array[] = [];
  /** How each frame was written (PROTOCOL.md §2.4). */
  readonly kinds: WriteKind[] = [];
  readonly properties: { readonly writeWithoutResponse: boolean };
  constructor(
    readonly uuid: string,
    private readonly peer: FakePeripheral,
    private readonly name: CharacteristicName,
  ) {
    super();
    this.properties = {
      writeWithoutResponse: (CHARACTERISTICS[name].properties as readonly string[]).includes('writeWithoutResponse'),
    };
  }
  readValue(): Promise<DataView> {
    return this.peer.op(() => new DataView(this.peer.read(this.name).buffer));
  }
  writeValueWithResponse(value: BufferSource): Promise<void> {
    return this.peer.op(
      () =>
        new Promise<void>((resolve) => {
          void this.peer.conn!.receive(this.name as FramedName, this.take(value, 'request'), 'request', resolve);
        }),
    );
  }
  /** Resolves once the browser has taken it; the device's handling is not awaited. */
  writeValueWithoutResponse(value: BufferSource): Promise<void> {
    const bytes = this.take(value, 'command');
    return this.peer.op(() => void this.peer.conn!.receive(this.name as FramedName, bytes, 'command'));
  }
  private take(value: BufferSource, kind: WriteKind): Uint8Array {
    const bytes = new Uint8Array(value as ArrayBuffer);
    this.written.push(bytes);
    this.kinds.push(kind);
    return bytes;
  }
  startNotifications(): Promise<this> {
    this.notifying = true;
    this.peer.conn!.subscribe(this.name as FramedName, (frame) => {
      // Each notification is its own task, as the browser dispatches characteristicvaluechanged.
      setImmediate(() => {
        this.value = new DataView(new Uint8Array(frame).buffer);
        this.dispatchEvent(new Event('characteristicvaluechanged'));
      });
    });
    return Promise.resolve(this);
  }
  stopNotifications(): Promise<this> {
    this.notifying = false;
    return Promise.resolve(this);
  }
}

/** The device side: a fresh GattConnection per connect, and the BluetoothDevice/GATT server faces. */
class FakePeripheral extends EventTarget {
  readonly id = 'fake-1';
  readonly name = DEVICE_ID;
  conn: GattConnection | undefined;
  connected = false;
  /** Characteristics to leave out of discovery (a device of another protocol version). */
  omit: CharacteristicName[] = [];
  /** A browser without writeValueWithoutResponse (before Chrome 85). */
  oldBrowser = false;
  chars: FakeCharacteristic[] = [];
  readonly gatt = {
    connected: false,
    connect: () => {
      this.conn = this.makeConnection();
      this.setConnected(true);
      return Promise.resolve(this.gatt);
    },
    disconnect: () => this.cut(),
    getPrimaryService: (uuid: string) =>
      uuid === SERVICE_UUID
        ? Promise.resolve({ uuid, getCharacteristics: () => Promise.resolve(this.discover()) })
        : Promise.reject(new DOMException('no such service', 'NotFoundError')),
  };
  constructor(private readonly makeConnection: () => GattConnection) {
    super();
  }
  setConnected(on: boolean): void {
    this.connected = on;
    this.gatt.connected = on;
  }
  discover(): FakeCharacteristic[] {
    this.chars = (Object.keys(CHARACTERISTICS) as CharacteristicName[])
      .filter((n) => !this.omit.includes(n))
      .map((n) => new FakeCharacteristic(CHARACTERISTICS[n].uuid, this, n));
    if (this.oldBrowser)
      for (const c of this.chars) Object.defineProperty(c, 'writeValueWithoutResponse', { value: undefined });
    return this.chars;
  }
  read(name: CharacteristicName): Uint8Array {
    if (name !== 'info') throw new Error('only info is read here');
    return new Uint8Array(this.conn!.readInfo(0));
  }
  op<T>(run: () => T | Promise<T>): Promise<T> {
    if (!this.connected) return Promise.reject(new DOMException('GATT Server is disconnected.', 'NetworkError'));
    return Promise.resolve().then(run);
  }
  /** The link goes away (out of range, or the page's disconnect()). */
  cut(): void {
    if (!this.connected) return;
    this.setConnected(false);
    this.conn?.close();
    this.dispatchEvent(new Event('gattserverdisconnected'));
  }
  char(name: CharacteristicName): FakeCharacteristic {
    return this.chars.find((c) => c.uuid === CHARACTERISTICS[name].uuid)!;
  }
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function device(writeWindow?: number): Promise<{ peripheral: FakePeripheral; code: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'web-link-'));
  dirs.push(dir);
  const networks = [{ ssid: new TextEncoder().encode('home'), rssi: -48, security: 'wpa2' as const, channel: 6 }];
  const agent = new ProvisioningAgent({
    store: new CredentialStore({ dir: join(dir, 'credentials') }),
    journal: new ProvisioningJournal({ path: join(dir, 'journal.log') }),
    jobFile: new JobFile(dir),
    fleet: () => Promise.reject(new Error('not used')),
    clock: systemClock,
    wifi: {
      scan: () => Promise.resolve(networks),
      join: () => Promise.resolve({}),
      current: () => Promise.resolve({ connected: false }),
      forget: () => Promise.resolve(),
    },
  });
  await agent.start();
  const code = generateSetupCode(random);
  const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  const window = writeWindow !== undefined ? { writeWindow } : {};
  const info = encodeMessage(buildInfo({ deviceId: DEVICE_ID, state: agent.state, ...window }));
  const attempts = new AttemptLimiter(new MemoryAttemptStore(), Date.now);
  const peripheral: FakePeripheral = new FakePeripheral(
    () =>
      new GattConnection({
        agent,
        verifier,
        attempts,
        info,
        random,
        now: Date.now,
        // The engine's bounds never expire here: the manual clock is never advanced.
        timers: new ManualTimers(),
        idleTimeoutMs: 120_000,
        attPayload: 20,
        disconnect: () => peripheral.cut(),
        ...window,
      }),
  );
  return { peripheral, code: formatSetupCode(code) };
}

describe('Web Bluetooth DeviceLink', () => {
  it('asks the chooser for the provisioning service only, and names a missing API and a closed chooser', async () => {
    expect(REQUEST_DEVICE_OPTIONS).toEqual({ filters: [{ services: [SERVICE_UUID] }] });
    expect(() => webBluetooth({} as Navigator)).toThrow(expect.objectContaining({ code: 'BLE_UNAVAILABLE' }));
    let asked: RequestDeviceOptions | undefined;
    const cancelled = {
      requestDevice: (o: RequestDeviceOptions) => {
        asked = o;
        return Promise.reject(new DOMException('User cancelled the requestDevice() chooser.', 'NotFoundError'));
      },
    } as unknown as Bluetooth;
    await expect(chooseDevice(cancelled)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(asked).toBe(REQUEST_DEVICE_OPTIONS);
    const refused = {
      requestDevice: () => Promise.reject(new DOMException('Must be handling a user gesture', 'SecurityError')),
    } as unknown as Bluetooth;
    await expect(chooseDevice(refused)).rejects.toMatchObject({ code: 'BLE_UNAVAILABLE' });
  });

  it('says which is missing: Web Bluetooth in the browser, or a secure page for it', () => {
    expect(() => webBluetooth({} as Navigator, true)).toThrow(
      objectContaining({ code: 'BLE_UNAVAILABLE', detail: textContaining('not offered by this browser') }),
    );
    expect(() => webBluetooth({} as Navigator, false)).toThrow(
      objectContaining({ code: 'BLE_UNAVAILABLE', detail: textContaining('secure pages (https://)') }),
    );
  });

  it('a NotFoundError is BLE_UNAVAILABLE only when getAvailability() says there is no adapter', async () => {
    // Chromium's words with no usable adapter; a closed chooser says "User cancelled …", same error name.
    const notFound = (availability?: () => Promise<boolean>): Bluetooth =>
      ({
        requestDevice: () => Promise.reject(new DOMException('Bluetooth Low Energy not available.', 'NotFoundError')),
        ...(availability ? { getAvailability: availability } : {}),
      }) as unknown as Bluetooth;
    await expect(chooseDevice(notFound(() => Promise.resolve(false)))).rejects.toMatchObject({
      code: 'BLE_UNAVAILABLE',
      detail: 'the browser has no Bluetooth adapter it can use (Bluetooth Low Energy not available.)',
    });
    await expect(chooseDevice(notFound(() => Promise.resolve(true)))).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
    // A browser that cannot tell (no getAvailability, or it rejects): the chooser's reading stands.
    await expect(chooseDevice(notFound())).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await expect(
      chooseDevice(notFound(() => Promise.reject(new DOMException('blocked', 'SecurityError')))),
    ).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    // One that never answers: after AVAILABILITY_TIMEOUT_MS the chooser's reading stands.
    const timers = new ManualTimers({ instant: true });
    const never = notFound(() => new Promise<boolean>(() => undefined));
    await expect(chooseDevice(never, timers)).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect(timers.delays).toEqual([AVAILABILITY_TIMEOUT_MS]);
  });

  it('subscribes to session, status and scan, and runs the handshake and a scan through DeviceSession', async () => {
    const { peripheral, code } = await device();
    const link = await connectWebBluetooth(peripheral as unknown as BluetoothDevice);
    expect(link.attPayload).toBe(20);
    expect(peripheral.chars.filter((c) => c.notifying).map((c) => c.uuid)).toEqual(
      ['session', 'status', 'scan'].map((n) => CHARACTERISTICS[n as CharacteristicName].uuid),
    );
    const session = new DeviceSession(link, { now: Date.now, random });
    expect((await session.readInfo()).deviceId).toBe(DEVICE_ID);
    await session.handshake(code, DEVICE_ID);
    expect(peripheral.char('session').written.every((f) => f.length <= 20)).toBe(true);
    const scan = await session.scan();
    expect(new TextDecoder().decode(scan.networks[0]!.ssid)).toBe('home');
    await link.close();
    expect(peripheral.connected).toBe(false);
  });

  it("writes without response within the device's write window, with a request before each wait", async () => {
    const { peripheral, code } = await device(4);
    const link = await connectWebBluetooth(peripheral as unknown as BluetoothDevice);
    expect(link.writeWithoutResponse).toBe(true);
    const session = new DeviceSession(link, { now: Date.now, random });
    await session.readInfo();
    expect(session.writeWindow).toBe(4);
    await session.handshake(code, DEVICE_ID);
    await session.scan();
    const kinds = peripheral.char('session').kinds;
    expect(kinds).toContain('command');
    expect(kinds.join('')).not.toMatch(/(command){4}/);
    expect(kinds.at(-1)).toBe('request');
    expect(peripheral.char('control').kinds.at(-1)).toBe('request');
    await link.close();
  });

  it('writes every frame with response in a browser without writeValueWithoutResponse', async () => {
    const { peripheral, code } = await device(4);
    peripheral.oldBrowser = true;
    const link = await connectWebBluetooth(peripheral as unknown as BluetoothDevice);
    expect(link.writeWithoutResponse).toBe(false);
    const session = new DeviceSession(link, { now: Date.now, random });
    await session.handshake(code, DEVICE_ID);
    expect(session.writeWindow).toBeUndefined();
    expect(new Set(peripheral.char('session').kinds)).toEqual(new Set(['request']));
    await link.close();
  });

  it('reports a drop once as LINK_LOST, rejects what was in flight, and says nothing after close', async () => {
    const { peripheral, code } = await device();
    const link = await connectWebBluetooth(peripheral as unknown as BluetoothDevice);
    const session = new DeviceSession(link, { now: Date.now, random });
    await session.handshake(code, DEVICE_ID);
    let drops = 0;
    link.onDrop(() => drops++);
    peripheral.cut();
    await expect(session.scan()).rejects.toMatchObject({ code: 'LINK_LOST' });
    await expect(link.write('control', new Uint8Array(20))).rejects.toMatchObject({ code: 'LINK_LOST' });
    expect(drops).toBe(1);

    const again = await connectWebBluetooth(peripheral as unknown as BluetoothDevice);
    let late = 0;
    again.onDrop(() => late++);
    await again.close();
    expect(late).toBe(0);
  });

  it('refuses a device without the whole service (VERSION_UNSUPPORTED) and disconnects it', async () => {
    const { peripheral } = await device();
    peripheral.omit = ['scan'];
    await expect(connectWebBluetooth(peripheral as unknown as BluetoothDevice)).rejects.toMatchObject({
      code: 'VERSION_UNSUPPORTED',
      detail: textContaining('scan'),
    });
    expect(peripheral.connected).toBe(false);
  });

  it('turns a failed connect into LINK_LOST with the browser reason', async () => {
    const { peripheral } = await device();
    peripheral.gatt.connect = () =>
      Promise.reject(new DOMException('Connection failed for unknown reason.', 'NetworkError'));
    await expect(connectWebBluetooth(peripheral as unknown as BluetoothDevice)).rejects.toMatchObject({
      code: 'LINK_LOST',
      detail: textContaining('NetworkError'),
    });
  });
});
