/**
 * Chromium's OWN Web Bluetooth emulation playing one device, for tests: the DevTools protocol's
 * `BluetoothEmulation` domain on the browser-level session (it is not found on a page's session)
 * and `DeviceAccess` on the page's session for the chooser. The page keeps the browser's real
 * `navigator.bluetooth`; this only stands in for the radio and the peripheral's GATT server.
 *
 * What it does: when the page opens the chooser, it advertises an unrelated device and ours (the
 * provisioning service in its scan record), gives ours the provisioning service with the seven
 * characteristics (a Client Characteristic Configuration descriptor on each notifying one:
 * Chromium refuses startNotifications without it, NotSupportedError), picks our device once
 * (a second selectPrompt for the same request crashes the browser), answers connection and
 * discovery with success, answers reads from `reads`, accepts writes and subscriptions, and
 * records every operation. As of Chromium 153 the domain has no command that pushes a value
 * change to the page, so a device's notifications cannot be played: what the page writes is the
 * end of what this can check.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { CHARACTERISTICS, SERVICE_UUID } from '../../protocol/index.js';
import type { CharacteristicName } from '../../protocol/index.js';

/** Client Characteristic Configuration (Bluetooth assigned number 0x2902). */
const CCCD_UUID = '00002902-0000-1000-8000-00805f9b34fb';
/** Another device in range, advertising a service the app does not ask for (Heart Rate, 0x180D). */
const OTHER_DEVICE = { address: '09:09:09:09:09:02', service: '0000180d-0000-1000-8000-00805f9b34fb' };
/** HCI and ATT success. */
const SUCCESS = 0;
/** ATT error: Read Not Permitted, for a read the test gave no value for. */
const READ_NOT_PERMITTED = 0x02;

// The DevTools protocol's types, as far as this uses them (playwright-core does not export its own).
type GattOperation = 'connection' | 'discovery';
/** The emulated adapter (`BluetoothEmulation.CentralState`). */
type AdapterState = 'absent' | 'powered-off' | 'powered-on';
type OperationType = 'read' | 'write' | 'subscribe-to-notifications' | 'unsubscribe-from-notifications';
type WriteType = 'write-default-deprecated' | 'write-with-response' | 'write-without-response';
interface PromptDevice {
  readonly id: string;
  readonly name: string;
}
interface BrowserVersion {
  readonly product: string;
  readonly protocolVersion: string;
}

export interface CharacteristicOperation {
  readonly name: CharacteristicName;
  readonly type: OperationType;
  /** The bytes of a write. */
  readonly bytes?: Uint8Array;
  readonly writeType?: WriteType;
}

export interface EmulatedDeviceOptions {
  /** The simulated device's Bluetooth address. */
  readonly address: string;
  /** The name in its advertisement. */
  readonly name: string;
  /** What a read of each characteristic answers. */
  readonly reads: Partial<Record<CharacteristicName, Uint8Array>>;
}

export interface EmulatedDevice {
  /** Chromium's `Browser.getVersion`. */
  readonly version: BrowserVersion;
  /** The devices each chooser prompt listed, in order. */
  readonly prompts: ReadonlyArray<readonly PromptDevice[]>;
  /** Connection and discovery requests the browser made, in order. */
  readonly gatt: readonly GattOperation[];
  /** Characteristic operations the page made, in order. */
  readonly operations: readonly CharacteristicOperation[];
  /** Failures while answering the browser (each would otherwise leave the page waiting). */
  readonly failures: string[];
  /** Resolves with the first `count` writes to `name`, once the page has made them. */
  writes(name: CharacteristicName, count: number): Promise<Uint8Array[]>;
  /** The device goes out of range: the browser sees the GATT connection drop. */
  disconnect(): Promise<void>;
  close(): Promise<void>;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unbase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** Advertises both devices and builds our device's GATT database; returns characteristic id → name. */
async function advertiseAndBuild(
  cdp: CDPSession,
  options: EmulatedDeviceOptions,
): Promise<Map<string, CharacteristicName>> {
  const record = { manufacturerData: [], appearance: 0, txPower: 0 };
  // Every ScanRecord field is given: a record without manufacturerData fails Chromium's mojo
  // validation (FakeCentral: null field), which closes the browser.
  await cdp.send('BluetoothEmulation.simulateAdvertisement', {
    entry: {
      deviceAddress: OTHER_DEVICE.address,
      rssi: -40,
      scanRecord: { ...record, name: 'other', uuids: [OTHER_DEVICE.service] },
    },
  });
  await cdp.send('BluetoothEmulation.simulateAdvertisement', {
    entry: {
      deviceAddress: options.address,
      rssi: -50,
      scanRecord: { ...record, name: options.name, uuids: [SERVICE_UUID] },
    },
  });
  const { serviceId } = await cdp.send('BluetoothEmulation.addService', {
    address: options.address,
    serviceUuid: SERVICE_UUID,
  });
  const ids = new Map<string, CharacteristicName>();
  for (const spec of Object.values(CHARACTERISTICS)) {
    const { characteristicId } = await cdp.send('BluetoothEmulation.addCharacteristic', {
      serviceId,
      characteristicUuid: spec.uuid,
      properties: Object.fromEntries(spec.properties.map((p) => [p, true])),
    });
    ids.set(characteristicId, spec.name);
    if ((spec.properties as readonly string[]).includes('notify'))
      await cdp.send('BluetoothEmulation.addDescriptor', { characteristicId, descriptorUuid: CCCD_UUID });
  }
  return ids;
}

/**
 * Turns on the emulation for `page` (before the page asks for a device). The browser must run
 * with `--enable-experimental-web-platform-features` (Web Bluetooth on Linux).
 */
export async function emulateDevice(
  browser: Browser,
  page: Page,
  options: EmulatedDeviceOptions,
): Promise<EmulatedDevice> {
  const { cdp, pageCdp, version } = await powerOn(browser, page);
  const prompts: PromptDevice[][] = [];
  const gatt: GattOperation[] = [];
  const operations: CharacteristicOperation[] = [];
  const failures: string[] = [];
  const changed: Array<() => void> = [];
  const record = (op: CharacteristicOperation): void => {
    operations.push(op);
    for (const l of changed) l();
  };
  const answering = (what: string, work: () => Promise<unknown>): void => {
    work().catch((err: unknown) => failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`));
  };
  let built: Promise<Map<string, CharacteristicName>> | undefined;
  let selected = false;

  pageCdp.on('DeviceAccess.deviceRequestPrompted', (prompt) =>
    answering('chooser', async () => {
      prompts.push(prompt.devices);
      // The chooser is scanning now: an advertisement before it opened would not be listed.
      built ??= advertiseAndBuild(cdp, options);
      await built;
      if (selected || !prompt.devices.some((d) => d.id === options.address)) return;
      selected = true;
      await pageCdp.send('DeviceAccess.selectPrompt', { id: prompt.id, deviceId: options.address });
    }),
  );
  cdp.on('BluetoothEmulation.gattOperationReceived', (e) =>
    answering(`gatt ${e.type}`, async () => {
      gatt.push(e.type);
      await cdp.send('BluetoothEmulation.simulateGATTOperationResponse', {
        address: e.address,
        type: e.type,
        code: SUCCESS,
      });
    }),
  );
  cdp.on('BluetoothEmulation.characteristicOperationReceived', (e) =>
    answering(`characteristic ${e.type}`, async () => {
      const name = (await built)?.get(e.characteristicId);
      if (!name) throw new Error(`unknown characteristic ${e.characteristicId}`);
      record({
        name,
        type: e.type,
        ...(e.data !== undefined ? { bytes: unbase64(e.data) } : {}),
        ...(e.writeType !== undefined ? { writeType: e.writeType } : {}),
      });
      const value = e.type === 'read' ? options.reads[name] : undefined;
      await cdp.send('BluetoothEmulation.simulateCharacteristicOperationResponse', {
        characteristicId: e.characteristicId,
        type: e.type,
        code: e.type === 'read' && !value ? READ_NOT_PERMITTED : SUCCESS,
        ...(value ? { data: base64(value) } : {}),
      });
    }),
  );
  cdp.on('BluetoothEmulation.descriptorOperationReceived', (e) =>
    answering(`descriptor ${e.type}`, () =>
      cdp.send('BluetoothEmulation.simulateDescriptorOperationResponse', {
        descriptorId: e.descriptorId,
        type: e.type,
        code: SUCCESS,
      }),
    ),
  );

  const writesTo = (name: CharacteristicName): Uint8Array[] =>
    operations.filter((o) => o.name === name && o.type === 'write').map((o) => o.bytes ?? new Uint8Array());
  return {
    version,
    prompts,
    gatt,
    operations,
    failures,
    writes: (name, count) =>
      new Promise((resolve) => {
        const check = (): void => {
          const found = writesTo(name);
          if (found.length < count) return;
          changed.splice(changed.indexOf(check), 1);
          resolve(found.slice(0, count));
        };
        changed.push(check);
        check();
      }),
    disconnect: async () => {
      await cdp.send('BluetoothEmulation.simulateGATTDisconnection', { address: options.address });
    },
    close: () => powerOff(cdp, pageCdp),
  };
}

/**
 * The emulated adapter, powered on unless `state` says otherwise, for `page`: the browser-level
 * session (BluetoothEmulation) and the page's (DeviceAccess, the chooser's events).
 */
async function powerOn(
  browser: Browser,
  page: Page,
  state: AdapterState = 'powered-on',
): Promise<{ cdp: CDPSession; pageCdp: CDPSession; version: BrowserVersion }> {
  const cdp = await browser.newBrowserCDPSession();
  const pageCdp = await page.context().newCDPSession(page);
  const version = await cdp.send('Browser.getVersion');
  await cdp.send('BluetoothEmulation.enable', { state, leSupported: true });
  await pageCdp.send('DeviceAccess.enable');
  return { cdp, pageCdp, version };
}

async function powerOff(cdp: CDPSession, pageCdp: CDPSession): Promise<void> {
  await cdp.send('BluetoothEmulation.disable').catch(() => undefined);
  await Promise.all([cdp.detach(), pageCdp.detach()]).catch(() => undefined);
}

export interface EmptyRadio {
  /** The devices each chooser prompt listed, in order. */
  readonly prompts: ReadonlyArray<readonly PromptDevice[]>;
  /** Failures while answering the browser. */
  readonly failures: string[];
  close(): Promise<void>;
}

/**
 * A powered-on adapter with nothing in range: the chooser the page opens stays empty, and the
 * person closes it (Cancel), as they do when their device is off or far away. Chromium then
 * rejects requestDevice with NotFoundError ("User cancelled the requestDevice() chooser.").
 */
export async function emulateEmptyRadio(browser: Browser, page: Page): Promise<EmptyRadio> {
  const { cdp, pageCdp } = await powerOn(browser, page);
  const prompts: PromptDevice[][] = [];
  const failures: string[] = [];
  let cancelled = false;
  pageCdp.on('DeviceAccess.deviceRequestPrompted', (prompt) => {
    prompts.push(prompt.devices);
    // Once, as selectPrompt: the event can fire twice for one request, and a second selectPrompt
    // for it crashes the browser (WEB-BLUETOOTH-NOTES.md).
    if (cancelled) return;
    cancelled = true;
    pageCdp
      .send('DeviceAccess.cancelPrompt', { id: prompt.id })
      .catch((err: unknown) => failures.push(`cancel: ${err instanceof Error ? err.message : String(err)}`));
  });
  return { prompts, failures, close: () => powerOff(cdp, pageCdp) };
}

/**
 * An adapter in `state` and nothing else, as on a computer without Bluetooth (`absent`). Chromium
 * 153: requestDevice then rejects with NotFoundError ("Bluetooth adapter not available.") and
 * getAvailability() resolves false.
 */
export async function emulateAdapter(
  browser: Browser,
  page: Page,
  state: AdapterState,
): Promise<{ close(): Promise<void> }> {
  const { cdp, pageCdp } = await powerOn(browser, page, state);
  return { close: () => powerOff(cdp, pageCdp) };
}
