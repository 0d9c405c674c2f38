/**
 * A stand-in for `@abandonware/bluetooth-hci-socket` that carries HCI over a {@link PacketLink}.
 * It presents what bleno and noble expect from the kernel's raw HCI socket (BLE-NOTES.md):
 * - raw mode, not user channel: the socket itself resets the controller on connect and swallows that
 *   Reset's Command Complete (noble re-initialises on one), and reports the device up at once;
 * - one complete H4 packet per 'data' event;
 * - the kernel's command queue: hosts fire several commands back to back, so commands wait for
 *   Num_HCI_Command_Packets credit from the controller before they go out;
 * - the control (mgmt) socket bleno opens at require time is inert.
 * If the link to the controller ends, the device goes down (the stacks report poweredOff) and every
 * open connection is reported disconnected (0x08) so that applications see it.
 */
import { EventEmitter } from 'node:events';
import { H4_COMMAND, H4_EVENT, h4Command, h4Event } from '../h4/packets.js';
import type { AirProvider, PacketLink } from './h4-link.js';
import { openPacketLink } from './h4-link.js';
import type { TransportSpec } from './spec.js';

const HCI_RESET = 0x0c03;
const EVT_DISCONNECTION_COMPLETE = 0x05;
const EVT_COMMAND_COMPLETE = 0x0e;
const EVT_COMMAND_STATUS = 0x0f;
const EVT_LE_META = 0x3e;
const LE_CONNECTION_COMPLETE = 0x01;
const LE_ENHANCED_CONNECTION_COMPLETE = 0x0a;
const REASON_CONNECTION_TIMEOUT = 0x08;

export class H4HciSocket extends EventEmitter {
  private link: PacketLink | undefined;
  private control = false;
  private up = true;
  /** Our own HCI Reset is in flight: hold the host's packets until its Command Complete. */
  private resetting = false;
  private credits = 0;
  private readonly commands: Buffer[] = [];
  private readonly held: Buffer[] = [];
  private readonly handles = new Set<number>();

  constructor(
    private readonly spec: TransportSpec,
    private readonly airProvider: AirProvider,
  ) {
    super();
  }

  getDeviceList(): { devId: number; devUp: boolean; idVendor: null; idProduct: null; busNumber: null; deviceAddress: null }[] {
    return [{ devId: 0, devUp: this.up, idVendor: null, idProduct: null, busNumber: null, deviceAddress: null }];
  }

  bindRaw(devId?: number): number {
    this.open();
    return devId ?? 0;
  }

  bindUser(devId?: number): number {
    this.open();
    return devId ?? 0;
  }

  /** The mgmt channel: nothing to talk to over H4. */
  bindControl(): number {
    this.control = true;
    return 0;
  }

  isDevUp(): boolean {
    return !this.control && this.up;
  }

  setFilter(_filter: Buffer): void {}
  start(): void {}
  stop(): void {}
  reset(): void {}

  write(packet: Buffer): void {
    if (this.control || !this.link || !this.up) return;
    if (packet[0] === H4_COMMAND) {
      this.commands.push(Buffer.from(packet));
      this.pump();
    } else if (this.resetting) {
      this.held.push(Buffer.from(packet));
    } else {
      this.link.send(packet);
    }
  }

  /** Closes the link to the controller (tests, shutdown). */
  close(): void {
    this.link?.close();
  }

  private open(): void {
    if (this.link) return;
    this.resetting = true;
    this.link = openPacketLink(
      this.spec,
      { onPacket: (p) => this.fromController(p), onClose: (err) => this.linkClosed(err) },
      this.airProvider,
    );
    this.link.send(h4Command(HCI_RESET));
  }

  private pump(): void {
    while (!this.resetting && this.credits > 0 && this.commands.length > 0 && this.link) {
      this.credits--;
      this.link.send(this.commands.shift() as Buffer);
    }
  }

  private fromController(packet: Buffer): void {
    if (packet[0] === H4_EVENT) {
      const code = packet[1];
      if (code === EVT_COMMAND_COMPLETE || code === EVT_COMMAND_STATUS) {
        const ncmd = code === EVT_COMMAND_COMPLETE ? packet[3] : packet[4];
        const op = packet.readUInt16LE(code === EVT_COMMAND_COMPLETE ? 4 : 5);
        this.credits = ncmd ?? 0;
        if (this.resetting && op === HCI_RESET && code === EVT_COMMAND_COMPLETE) {
          this.resetting = false;
          for (const p of this.held.splice(0)) this.link?.send(p);
          this.pump();
          return; // Swallowed: the host did not send this Reset.
        }
        this.pump();
      } else if (code === EVT_LE_META && (packet[3] === LE_CONNECTION_COMPLETE || packet[3] === LE_ENHANCED_CONNECTION_COMPLETE) && packet[4] === 0) {
        this.handles.add(packet.readUInt16LE(5));
      } else if (code === EVT_DISCONNECTION_COMPLETE) {
        this.handles.delete(packet.readUInt16LE(4));
      }
    }
    this.emit('data', packet);
  }

  private linkClosed(err?: Error): void {
    if (!this.up) return;
    this.up = false;
    for (const handle of this.handles) {
      this.emit('data', h4Event(EVT_DISCONNECTION_COMPLETE, Buffer.from([0, handle & 0xff, handle >> 8, REASON_CONNECTION_TIMEOUT])));
    }
    this.handles.clear();
    this.commands.length = 0;
    this.held.length = 0;
    if (err && this.listenerCount('error') > 0) this.emit('error', err);
  }
}
