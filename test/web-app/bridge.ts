/**
 * A BRIDGE, for tests only: it gives the page a `navigator.bluetooth` whose GATT calls travel to
 * this Node process (a Playwright binding) and are carried out by noble on the virtual air, against
 * a real device (bleno). Headless Chromium has no Bluetooth adapter here, and its BluetoothEmulation
 * domain cannot push notifications (WEB-BLUETOOTH-NOTES.md), so the whole flow needs this. The app
 * under test is the shipped bundle, unchanged: only the browser's Bluetooth is replaced, at the
 * Web Bluetooth API surface (requestDevice, connect, getPrimaryService, getCharacteristics,
 * readValue, writeValueWithResponse, writeValueWithoutResponse and `properties.writeWithoutResponse`
 * (so the app uses the device's write window, PROTOCOL.md §2.4), startNotifications,
 * characteristicvaluechanged, gattserverdisconnected).
 */
import type { Characteristic, Peripheral } from '@abandonware/noble';
import type { BrowserContext, Page } from 'playwright-core';
import { DeviceFinder } from '../../ble/central/index.js';
import type { Noble } from '../../ble/index.js';
import { SERVICE_UUID, compactUuid } from '../../protocol/index.js';

/** noble's compact UUID in the dashed form a browser reports. */
function dashed(compact: string): string {
  return `${compact.slice(0, 8)}-${compact.slice(8, 12)}-${compact.slice(12, 16)}-${compact.slice(16, 20)}-${compact.slice(20)}`;
}

/** Runs in the page (an init script): the Web Bluetooth objects, each call forwarded to the binding. */
function pageSide(): void {
  type Call = (op: string, args: unknown) => Promise<unknown>;
  // The Node side names the DOMException the browser would throw ("NetworkError: …"): rethrown as that.
  const call: Call = (op, args) =>
    (window as unknown as { __bleBridge: Call }).__bleBridge(op, args).catch((err: unknown) => {
      const found = /\b(NetworkError|NotFoundError): ([^\n]*)/.exec(err instanceof Error ? err.message : String(err));
      throw found ? new DOMException(found[2], found[1]) : err;
    });
  const chars = new Map<string, EventTarget & { value?: DataView }>();
  const device = new EventTarget() as EventTarget & Record<string, unknown>;
  const gatt = {
    device,
    connected: false,
    async connect() {
      await call('connect', null);
      gatt.connected = true;
      return gatt;
    },
    disconnect() {
      if (!gatt.connected) return;
      gatt.connected = false;
      void call('disconnect', null);
      device.dispatchEvent(new Event('gattserverdisconnected'));
    },
    async getPrimaryService(uuid: string) {
      const list = (await call('discover', uuid)) as Array<{ uuid: string; writeWithoutResponse: boolean }>;
      return {
        uuid,
        getCharacteristics: () =>
          Promise.resolve(
            list.map(({ uuid: u, writeWithoutResponse }) => {
              const c = new EventTarget() as EventTarget & Record<string, unknown>;
              const write = async (data: ArrayBufferView, withoutResponse: boolean): Promise<void> => {
                const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
                await call('write', { uuid: u, bytes: Array.from(u8), withoutResponse });
              };
              Object.assign(c, {
                uuid: u,
                properties: { writeWithoutResponse },
                readValue: async () => {
                  const bytes = (await call('read', u)) as number[];
                  c.value = new DataView(new Uint8Array(bytes).buffer);
                  return c.value;
                },
                writeValueWithResponse: (data: ArrayBufferView) => write(data, false),
                // Resolves once noble has handed the Write Command to its controller, as Chrome does.
                writeValueWithoutResponse: (data: ArrayBufferView) => write(data, true),
                startNotifications: async () => {
                  await call('subscribe', u);
                  return c;
                },
                stopNotifications: () => Promise.resolve(c),
              });
              chars.set(u, c);
              return c;
            }),
          ),
      };
    },
  };
  Object.assign(device, { id: 'bridge', name: 'bridge', gatt });
  const w = window as unknown as Record<string, unknown>;
  w.__bleBridgeNotify = (uuid: string, bytes: number[]) => {
    const c = chars.get(uuid);
    if (!c) return;
    c.value = new DataView(new Uint8Array(bytes).buffer);
    c.dispatchEvent(new Event('characteristicvaluechanged'));
  };
  w.__bleBridgeDropped = () => {
    if (!gatt.connected) return;
    gatt.connected = false;
    device.dispatchEvent(new Event('gattserverdisconnected'));
  };
  const bluetooth = {
    getAvailability: () => Promise.resolve(true),
    requestDevice: async (options: unknown) => {
      await call('requestDevice', options);
      return device;
    },
  };
  Object.defineProperty(Navigator.prototype, 'bluetooth', { get: () => bluetooth, configurable: true });
}

export interface BridgeLog {
  /** The options the page passed to requestDevice. */
  requests: unknown[];
  /** Characteristics the page subscribed to, in order (dashed UUIDs). */
  subscribed: string[];
  /** Frames the page wrote, per characteristic UUID, and whether without response. */
  writes: Array<{ uuid: string; bytes: number[]; withoutResponse: boolean }>;
  /** When the page asked to connect, performance.now() in Node (for the figure, not for assertions). */
  connects: number[];
}

/**
 * Installs the bridge in `context`: `chooseDeviceId` is the device the "chooser" picks (found by
 * noble's scan on the air). Returns the log of what the page asked for.
 */
export async function installBluetoothBridge(
  context: BrowserContext,
  noble: Noble,
  chooseDeviceId: string,
): Promise<BridgeLog> {
  const log: BridgeLog = { requests: [], subscribed: [], writes: [], connects: [] };
  const finder = new DeviceFinder(noble);
  let peripheral: Peripheral | undefined;
  let chars = new Map<string, Characteristic>();
  let page: Page | undefined;
  let closing = false;
  const notify = (fn: string, ...args: unknown[]): void => {
    // Each notification is its own evaluate: its own task in the page, in the order noble saw them.
    void page
      ?.evaluate(([name, rest]) => (window as unknown as Record<string, (...a: unknown[]) => void>)[name]!(...rest), [
        fn,
        args,
      ] as const)
      .catch(() => undefined);
  };
  const ops: Record<string, (arg: unknown) => Promise<unknown>> = {
    requestDevice: async (options) => {
      log.requests.push(options);
      peripheral = await finder.find(chooseDeviceId);
      return null;
    },
    connect: async () => {
      log.connects.push(performance.now());
      closing = false;
      // A controller that cannot reach the device (out of range) fails the connection: Chrome says so this way.
      await peripheral!.connectAsync().catch((err: unknown) => {
        throw new Error(
          `NetworkError: Connection attempt failed. (${err instanceof Error ? err.message : String(err)})`,
        );
      });
      peripheral!.once('disconnect', () => {
        if (!closing) notify('__bleBridgeDropped');
      });
      return null;
    },
    disconnect: async () => {
      closing = true;
      if (peripheral?.state === 'connected') await peripheral.disconnectAsync();
      return null;
    },
    discover: async (service) => {
      if (service !== SERVICE_UUID) throw new Error('NotFoundError: no such service');
      const found = await peripheral!.discoverSomeServicesAndCharacteristicsAsync([compactUuid(SERVICE_UUID)], []);
      chars = new Map(found.characteristics.map((c) => [dashed(c.uuid), c]));
      return [...chars].map(([uuid, c]) => ({
        uuid,
        writeWithoutResponse: c.properties.includes('writeWithoutResponse'),
      }));
    },
    read: async (uuid) => [...(await chars.get(uuid as string)!.readAsync())],
    write: async (arg) => {
      const { uuid, bytes, withoutResponse } = arg as { uuid: string; bytes: number[]; withoutResponse: boolean };
      log.writes.push({ uuid, bytes, withoutResponse });
      await chars.get(uuid)!.writeAsync(Buffer.from(bytes), withoutResponse);
      return null;
    },
    subscribe: async (uuid) => {
      const c = chars.get(uuid as string)!;
      log.subscribed.push(uuid as string);
      c.on('data', (data: Buffer, isNotification: boolean) => {
        if (isNotification !== false) notify('__bleBridgeNotify', uuid, [...data]);
      });
      await c.subscribeAsync();
      return null;
    },
  };
  await context.exposeBinding('__bleBridge', async (source, op: string, arg: unknown) => {
    page = source.page;
    const run = ops[op];
    if (!run) throw new Error(`bridge: unknown operation ${op}`);
    return run(arg);
  });
  await context.addInitScript(pageSide);
  return log;
}
