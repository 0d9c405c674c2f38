/**
 * The phone's {@link DeviceLink} over Web Bluetooth (`navigator.bluetooth`), for the browser app:
 * pick the device in the browser's chooser (filtered on the provisioning service), connect, find the
 * service's characteristics, subscribe to session/status/scan, and carry the frames the engine
 * makes. No node:* imports and no Buffer: this runs in the page bundle.
 *
 * The ATT payload is always MIN_ATT_PAYLOAD (20): Web Bluetooth never tells the page the negotiated
 * ATT_MTU, and PROTOCOL.md §1 wants one frame per ATT Write; 20 bytes fit every MTU, a larger guess
 * would turn into prepared (long) writes on some connections and break that rule.
 */
import { ProvisioningError, CHARACTERISTICS, MIN_ATT_PAYLOAD, SERVICE_UUID } from '../../protocol/index.js';
import type { CharacteristicName, Timers, WriteKind } from '../../protocol/index.js';
import type { DeviceLink, NotifyName, WritableName } from '../../central/engine/index.js';
import { CONNECT_TIMEOUT_MS, systemTimers, withTimeout } from '../../central/engine/index.js';

const NOTIFIED: readonly NotifyName[] = ['session', 'status', 'scan'];
const WRITABLE: readonly WritableName[] = ['session', 'wifi', 'claim', 'control'];

/** The filter the chooser gets: only devices advertising the provisioning service. */
export const REQUEST_DEVICE_OPTIONS: RequestDeviceOptions = { filters: [{ services: [SERVICE_UUID] }] };

/**
 * The browser's Web Bluetooth, or BLE_UNAVAILABLE saying why there is none: the browser does not
 * offer it (Firefox, Safari), or the page is not a secure context (the API is [SecureContext], so
 * the same browser hides it on plain http:// other than localhost).
 */
export function webBluetooth(nav: Navigator = navigator, secureContext = globalThis.isSecureContext): Bluetooth {
  if (nav.bluetooth) return nav.bluetooth;
  throw new ProvisioningError('BLE_UNAVAILABLE', {
    detail:
      secureContext === false
        ? 'Web Bluetooth is offered only to secure pages (https://), and this page is not one'
        : 'Web Bluetooth is not offered by this browser (no navigator.bluetooth)',
  });
}

/**
 * How long the browser gets to say whether it has an adapter once the chooser found nothing; past
 * it, the chooser's reading (no device) stands. Chromium answers within milliseconds.
 */
export const AVAILABILITY_TIMEOUT_MS = 2000;

/**
 * Whether the browser has a Bluetooth adapter it can use (Web Bluetooth's getAvailability(): false
 * when there is none, it lacks LE, or a policy blocks Bluetooth). `undefined` when it cannot tell:
 * a browser without getAvailability, or one that rejects it.
 */
async function adapterAvailable(bluetooth: Bluetooth, timers: Timers): Promise<boolean | undefined> {
  if (typeof bluetooth.getAvailability !== 'function') return undefined;
  try {
    const timedOut = (): Error => new Error('getAvailability() did not answer');
    return await withTimeout(bluetooth.getAvailability(), AVAILABILITY_TIMEOUT_MS, timedOut, timers);
  } catch {
    return undefined;
  }
}

/**
 * Opens the browser's device chooser. Must run inside a user gesture (a click). The browser says
 * NotFoundError both for a chooser closed with nothing chosen and for no usable adapter (Chromium:
 * "Bluetooth Low Energy not available."): only getAvailability() tells them apart, so a NotFoundError
 * with no adapter is BLE_UNAVAILABLE, and DEVICE_NOT_FOUND otherwise (also when the browser cannot
 * say). A browser that refuses (policy, no gesture) is BLE_UNAVAILABLE.
 */
export async function chooseDevice(
  bluetooth: Bluetooth = webBluetooth(),
  timers: Timers = systemTimers,
): Promise<BluetoothDevice> {
  try {
    return await bluetooth.requestDevice(REQUEST_DEVICE_OPTIONS);
  } catch (err) {
    const name = (err as { name?: string } | undefined)?.name;
    const message = err instanceof Error ? err.message : String(err);
    if (name !== 'NotFoundError')
      throw new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `Web Bluetooth refused: ${name ?? 'Error'}: ${message}`,
        cause: err,
      });
    if ((await adapterAvailable(bluetooth, timers)) === false)
      throw new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `the browser has no Bluetooth adapter it can use (${message})`,
        cause: err,
      });
    throw new ProvisioningError('DEVICE_NOT_FOUND', { detail: `no device was chosen (${message})`, cause: err });
  }
}

type Characteristics = Record<CharacteristicName, BluetoothRemoteGATTCharacteristic>;

/** The characteristics of the service by protocol name; VERSION_UNSUPPORTED names any missing. */
async function characteristicsOf(service: BluetoothRemoteGATTService): Promise<Characteristics> {
  const found = await service.getCharacteristics();
  const chars: Partial<Characteristics> = {};
  for (const c of found) {
    const spec = Object.values(CHARACTERISTICS).find((s) => s.uuid === c.uuid.toLowerCase());
    if (spec) chars[spec.name] = c;
  }
  const missing = (Object.keys(CHARACTERISTICS) as CharacteristicName[]).filter((n) => !chars[n]);
  if (missing.length > 0)
    throw new ProvisioningError('VERSION_UNSUPPORTED', {
      detail: `the device lacks the characteristics ${missing.join(', ')}`,
    });
  return chars as Characteristics;
}

/** A copy of a notified or read value (the browser may reuse the DataView's buffer). */
function bytesOf(view: DataView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

class WebBluetoothLink implements DeviceLink {
  readonly attPayload = MIN_ATT_PAYLOAD;
  private readonly dropListeners: Array<() => void> = [];
  private readonly frameListeners = new Map<NotifyName, Array<(frame: Uint8Array) => void>>();
  private closing = false;
  private dropped = false;
  /** Rejects GATT operations in flight when the link drops, whatever the browser does with them. */
  private readonly pending = new Set<(err: ProvisioningError) => void>();
  private readonly onDisconnected = (): void => this.drop();
  /** The browser can write without response, and the device's characteristics allow it. */
  readonly writeWithoutResponse: boolean;

  constructor(
    private readonly device: BluetoothDevice,
    private readonly server: BluetoothRemoteGATTServer,
    private readonly chars: Characteristics,
  ) {
    device.addEventListener('gattserverdisconnected', this.onDisconnected);
    this.writeWithoutResponse = WRITABLE.every(
      (n) =>
        typeof chars[n].writeValueWithoutResponse === 'function' && chars[n].properties?.writeWithoutResponse === true,
    );
    for (const name of NOTIFIED) {
      this.frameListeners.set(name, []);
      chars[name].addEventListener('characteristicvaluechanged', (event: Event) => {
        const value = (event.target as BluetoothRemoteGATTCharacteristic).value;
        if (!value || this.closing || this.dropped) return;
        const frame = bytesOf(value);
        for (const l of this.frameListeners.get(name) ?? []) l(frame);
      });
    }
  }

  async readInfo(): Promise<Uint8Array> {
    return bytesOf(await this.untilDropped(() => this.chars.info.readValue()));
  }

  async readStatus(): Promise<Uint8Array> {
    return bytesOf(await this.untilDropped(() => this.chars.status.readValue()));
  }

  async write(name: WritableName, frame: Uint8Array, kind: WriteKind = 'request'): Promise<void> {
    const c = this.chars[name];
    // A fresh copy: the browser reads the buffer asynchronously, the caller's is its own.
    const value = new Uint8Array(frame);
    await this.untilDropped(() =>
      kind === 'command' && this.writeWithoutResponse && c.writeValueWithoutResponse
        ? c.writeValueWithoutResponse(value)
        : c.writeValueWithResponse(value),
    );
  }

  onFrame(name: NotifyName, listener: (frame: Uint8Array) => void): void {
    this.frameListeners.get(name)?.push(listener);
  }

  onDrop(listener: () => void): void {
    // A drop before anybody listened (between connecting and the session's start) still reaches them.
    if (this.dropped && !this.closing) queueMicrotask(listener);
    else this.dropListeners.push(listener);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.device.removeEventListener('gattserverdisconnected', this.onDisconnected);
      if (this.server.connected) this.server.disconnect();
    }
    return Promise.resolve();
  }

  private drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    const err = new ProvisioningError('LINK_LOST', { detail: 'the device dropped the link' });
    for (const reject of [...this.pending]) reject(err);
    if (this.closing) return;
    for (const l of this.dropListeners.splice(0)) l();
  }

  /** One GATT operation; a drop before or during it rejects with LINK_LOST, any other failure too. */
  private untilDropped<T>(operation: () => Promise<T>): Promise<T> {
    if (this.dropped || this.closing)
      return Promise.reject(new ProvisioningError('LINK_LOST', { detail: 'the link is down' }));
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      operation()
        .then(resolve, (err: unknown) =>
          reject(
            this.dropped
              ? new ProvisioningError('LINK_LOST', { detail: 'the device dropped the link' })
              : new ProvisioningError('LINK_LOST', {
                  detail: `GATT operation failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
                  cause: err,
                }),
          ),
        )
        .finally(() => this.pending.delete(reject));
    });
  }
}

/**
 * Connects to a chosen device (again after a drop: no gesture needed), finds the provisioning
 * service and subscribes to session/status/scan. Fails with LINK_LOST (unreachable, timeout) or
 * VERSION_UNSUPPORTED (not our service); a half-made connection is closed again.
 */
export async function connectWebBluetooth(
  device: BluetoothDevice,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<DeviceLink> {
  const gatt = device.gatt;
  if (!gatt) throw new ProvisioningError('BLE_UNAVAILABLE', { detail: 'the chosen device offers no GATT server' });
  const setup = async (): Promise<DeviceLink> => {
    const server = await gatt.connect();
    const chars = await characteristicsOf(await server.getPrimaryService(SERVICE_UUID));
    const link = new WebBluetoothLink(device, server, chars);
    for (const name of NOTIFIED) await chars[name].startNotifications();
    if (!server.connected)
      throw new ProvisioningError('LINK_LOST', { detail: 'the device dropped the link while connecting' });
    return link;
  };
  try {
    return await withTimeout(
      setup(),
      timeoutMs,
      () => new ProvisioningError('LINK_LOST', { detail: `connecting took longer than ${timeoutMs} ms` }),
    );
  } catch (err) {
    // The normal case after a failure is a connection that is already gone: disconnect() is then a no-op.
    if (gatt.connected) gatt.disconnect();
    if (err instanceof ProvisioningError) throw err;
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new ProvisioningError('LINK_LOST', { detail: `could not connect: ${text}`, cause: err });
  }
}
