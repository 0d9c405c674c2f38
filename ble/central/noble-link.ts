import type { Characteristic, Peripheral } from '@abandonware/noble';
import {
  ProvisioningError,
  CHARACTERISTICS,
  MAX_ATT_PAYLOAD,
  MIN_ATT_PAYLOAD,
  SERVICE_UUID,
  compactUuid,
} from '../../protocol/index.js';
import type { CharacteristicName, WriteKind } from '../../protocol/index.js';
import type { DeviceLink, NotifyName, WritableName } from '../../central/engine/index.js';
import { CONNECT_TIMEOUT_MS, withTimeout } from '../../central/engine/index.js';

const NOTIFIED: readonly NotifyName[] = ['session', 'status', 'scan'];
const WRITABLE: readonly WritableName[] = ['session', 'wifi', 'claim', 'control'];

/**
 * A {@link DeviceLink} over a noble peripheral: connect (noble asks for the MTU set by
 * ble/ setNobleMtu during the connection), discover the provisioning service, subscribe to
 * session/status/scan.
 */
export class NobleDeviceLink implements DeviceLink {
  private dropListeners: Array<() => void> = [];
  private closing = false;
  private dropped = false;
  /** Rejects pending GATT operations when the link drops: noble never settles them itself. */
  private readonly pending = new Set<(err: ProvisioningError) => void>();

  /** The writable characteristics all allow write without response (PROTOCOL.md §2). */
  readonly writeWithoutResponse: boolean;

  private constructor(
    private readonly peripheral: Peripheral,
    private readonly chars: Partial<Record<CharacteristicName, Characteristic>>,
    readonly attPayload: number,
  ) {
    this.writeWithoutResponse = WRITABLE.every((n) => chars[n]?.properties.includes('writeWithoutResponse'));
    peripheral.once('disconnect', () => {
      this.dropped = true;
      const err = new ProvisioningError('LINK_LOST', { detail: 'the device dropped the link' });
      for (const reject of [...this.pending]) reject(err);
      if (this.closing) return;
      for (const l of this.dropListeners.splice(0)) l();
    });
  }

  static async connect(peripheral: Peripheral, timeoutMs = CONNECT_TIMEOUT_MS): Promise<NobleDeviceLink> {
    const service = compactUuid(SERVICE_UUID);
    const setup = async (): Promise<NobleDeviceLink> => {
      await peripheral.connectAsync();
      const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([service], []);
      const chars: Partial<Record<CharacteristicName, Characteristic>> = {};
      for (const c of characteristics) {
        const spec = Object.values(CHARACTERISTICS).find((s) => compactUuid(s.uuid) === c.uuid);
        if (spec) chars[spec.name] = c;
      }
      const missing = Object.keys(CHARACTERISTICS).filter((n) => !chars[n as CharacteristicName]);
      if (missing.length > 0)
        throw new ProvisioningError('VERSION_UNSUPPORTED', {
          detail: `the device lacks the characteristics ${missing.join(', ')}`,
        });
      const mtu = peripheral.mtu ?? 23;
      const link = new NobleDeviceLink(
        peripheral,
        chars,
        Math.min(MAX_ATT_PAYLOAD, Math.max(MIN_ATT_PAYLOAD, mtu - 3)),
      );
      for (const n of NOTIFIED) await link.char(n).subscribeAsync();
      return link;
    };
    try {
      return await withTimeout(
        setup(),
        timeoutMs,
        () => new ProvisioningError('LINK_LOST', { detail: `connecting took longer than ${timeoutMs} ms` }),
      );
    } catch (err) {
      // A half-made connection may already be gone (that is often why setup failed): nothing to undo then.
      await peripheral.disconnectAsync().catch(() => undefined);
      if (err instanceof ProvisioningError) throw err;
      throw new ProvisioningError('LINK_LOST', { detail: `could not connect: ${(err as Error).message}`, cause: err });
    }
  }

  async readInfo(): Promise<Uint8Array> {
    return new Uint8Array(await this.untilDropped(() => this.char('info').readAsync()));
  }

  async readStatus(): Promise<Uint8Array> {
    return new Uint8Array(await this.untilDropped(() => this.char('status').readAsync()));
  }

  /**
   * noble queues a Write Command behind an outstanding Write Request and resolves it once the
   * command is handed to the controller (its ACL flow control paces the rest).
   */
  async write(name: WritableName, frame: Uint8Array, kind: WriteKind = 'request'): Promise<void> {
    await this.untilDropped(() => this.char(name).writeAsync(Buffer.from(frame), kind === 'command'));
  }

  onFrame(name: NotifyName, listener: (frame: Uint8Array) => void): void {
    // noble also emits 'data' for read answers (isNotification false): those are not frames.
    this.char(name).on('data', (data: Buffer, isNotification: boolean) => {
      if (isNotification !== false) listener(new Uint8Array(data));
    });
  }

  onDrop(listener: () => void): void {
    this.dropListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const n of NOTIFIED) this.chars[n]?.removeAllListeners('data');
    // Fails only when the link drops at the same moment, which leaves it closed all the same.
    if (this.peripheral.state === 'connected') await this.peripheral.disconnectAsync().catch(() => undefined);
  }

  /** Runs one GATT operation; a drop before or during it rejects with LINK_LOST instead of hanging. */
  private untilDropped<T>(operation: () => Promise<T>): Promise<T> {
    if (this.dropped) return Promise.reject(new ProvisioningError('LINK_LOST', { detail: 'the link is down' }));
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      operation()
        .then(resolve, reject)
        .finally(() => this.pending.delete(reject));
    });
  }

  private char(name: CharacteristicName): Characteristic {
    const c = this.chars[name];
    if (!c) throw new ProvisioningError('VERSION_UNSUPPORTED', { detail: `no ${name} characteristic` });
    return c;
  }
}
