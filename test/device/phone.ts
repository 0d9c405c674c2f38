/**
 * A minimal phone for the device tests, on the real noble: it reads `info`, runs the SPAKE2+
 * handshake over `session`, then writes sealed, framed messages and collects the status and scan
 * notifications. It uses only protocol/ (link + SessionInitiator), like the real central.
 */
import { randomBytes } from 'node:crypto';
import type { Characteristic, Peripheral } from '@abandonware/noble';
import type { Noble } from '../../ble/index.js';
import { CHARACTERISTICS, SERVICE_UUID, compactUuid } from '../../protocol/gatt.js';
import type { CharacteristicName } from '../../protocol/gatt.js';
import { MessageLink } from '../../protocol/link.js';
import type { InfoMessage, Message, ScanMessage, StatusMessage } from '../../protocol/messages.js';
import { SessionInitiator } from '../../protocol/session/index.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** How long the test phone waits for one expected notification (ms). */
export const PHONE_WAIT_MS = 20_000;

export class TestPhone {
  peripheral: Peripheral | undefined;
  infoBytes: Uint8Array | undefined;
  info: InfoMessage | undefined;
  readonly statuses: StatusMessage[] = [];
  readonly scans: ScanMessage[] = [];
  /** When the last ATT write of each message was acknowledged (ms, wall clock). */
  readonly sentAt: Partial<Record<CharacteristicName, number>> = {};
  private chars: Partial<Record<CharacteristicName, Characteristic>> = {};
  private links: Partial<Record<CharacteristicName, MessageLink>> = {};
  private readonly sessionIn: Uint8Array[] = [];
  /** Sealed notifications that arrive before the phone has taken in `done` (the device may send at once). */
  private early: Array<['status' | 'scan', Uint8Array]> | undefined = [];
  private waiters: Array<() => void> = [];
  readonly errors: Error[] = [];

  constructor(private readonly noble: Noble) {}

  /** Scans for the provisioning service (optionally a given advertised name) and connects. */
  async connect(name?: string): Promise<void> {
    const service = compactUuid(SERVICE_UUID);
    const p = await new Promise<Peripheral>((resolve, reject) => {
      const seen = (found: Peripheral): void => {
        if (name && found.advertisement.localName !== name) return;
        this.noble.removeListener('discover', seen);
        this.noble.stopScanning(() => resolve(found));
      };
      this.noble.on('discover', seen);
      this.noble.startScanning([service], false, (err?: Error) => err && reject(err));
    });
    await p.connectAsync();
    this.peripheral = p;
    const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([service], []);
    for (const c of characteristics) {
      const spec = Object.values(CHARACTERISTICS).find((s) => compactUuid(s.uuid) === c.uuid);
      if (spec) this.chars[spec.name] = c;
    }
    const attPayload = Math.min(512, Math.max(20, (p.mtu ?? 23) - 3));
    for (const n of ['session', 'wifi', 'claim', 'control', 'status', 'scan'] as const) {
      this.links[n] = new MessageLink({ characteristic: n, attPayload, now: Date.now });
    }
    for (const n of ['session', 'status', 'scan'] as const) {
      const c = this.char(n);
      c.on('data', (data: Buffer) => this.onNotify(n, new Uint8Array(data)));
      await c.subscribeAsync();
    }
  }

  async readInfo(): Promise<InfoMessage> {
    const bytes = new Uint8Array(await this.char('info').readAsync());
    this.infoBytes = bytes;
    const info = new MessageLink({ characteristic: 'info', attPayload: 20, now: Date.now }).decodeValue(bytes);
    if (info.type !== 'info') throw new Error('info is not an info message');
    this.info = info;
    return info;
  }

  /** The SPAKE2+ handshake; resolves once the session is established, rejects with its error. */
  async handshake(setupCode: string): Promise<void> {
    if (!this.info || !this.infoBytes) await this.readInfo();
    const hs = new SessionInitiator({ setupCode, deviceId: this.info!.deviceId, info: this.infoBytes!, random });
    await this.writeFrames('session', this.link('session').sendBytes(hs.start()));
    for (;;) {
      const msg = await this.until(() => this.sessionIn.shift());
      const r = hs.receive(msg);
      if (r.reply) await this.writeFrames('session', this.link('session').sendBytes(r.reply));
      if (r.status === 'established') {
        for (const n of ['wifi', 'claim', 'control', 'status', 'scan'] as const) this.link(n).setCipher(r.channel);
        const held = this.early ?? [];
        this.early = undefined;
        for (const [n, f] of held) this.onNotify(n, f);
        return;
      }
      if (r.status === 'failed') throw r.error;
    }
  }

  async send(name: 'wifi' | 'claim' | 'control', message: Message): Promise<void> {
    await this.writeFrames(name, this.link(name).send(message));
    this.sentAt[name] = Date.now();
  }

  /** Waits for a status notification (received from now on, or already received after `from`). */
  async status(match: (s: StatusMessage) => boolean, from = 0): Promise<StatusMessage> {
    return this.until(() => this.statuses.slice(from).find(match));
  }

  async disconnect(): Promise<void> {
    if (this.peripheral?.state === 'connected') await this.peripheral.disconnectAsync();
  }

  private char(name: CharacteristicName): Characteristic {
    const c = this.chars[name];
    if (!c) throw new Error(`no ${name} characteristic`);
    return c;
  }

  private link(name: CharacteristicName): MessageLink {
    const l = this.links[name];
    if (!l) throw new Error(`no ${name} link`);
    return l;
  }

  private async writeFrames(name: CharacteristicName, frames: Uint8Array[]): Promise<void> {
    for (const f of frames) await this.char(name).writeAsync(Buffer.from(f), false);
  }

  private onNotify(name: 'session' | 'status' | 'scan', frame: Uint8Array): void {
    try {
      if (name === 'session') {
        const bytes = this.link('session').receiveBytes(frame);
        if (bytes) this.sessionIn.push(bytes);
      } else if (this.early) {
        this.early.push([name, frame]);
      } else {
        const m = this.link(name).receive(frame);
        if (m?.type === 'status') this.statuses.push(m);
        if (m?.type === 'scan') this.scans.push(m);
      }
    } catch (err) {
      this.errors.push(err as Error);
    }
    for (const w of this.waiters.splice(0)) w();
  }

  private until<T>(pick: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `test phone: nothing arrived within ${PHONE_WAIT_MS} ms (errors: ${this.errors.map((e) => e.message).join('; ')})`,
            ),
          ),
        PHONE_WAIT_MS,
      );
      const check = (): void => {
        const v = pick();
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
        } else this.waiters.push(check);
      };
      check();
    });
  }
}
