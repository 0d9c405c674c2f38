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
 *
 * It is also the stack's {@link ControllerLink}: a supervisor sees the link go and come
 * (`onLinkChange`), asks the controller whether it is alive (`probe`: HCI Read Local Version, whose
 * Command Complete is swallowed like the Reset's), cuts a controller that does not answer
 * (`detach`) and opens a fresh link (`reattach`). A re-attached link reports the device up only once
 * the controller has answered the Reset; the stacks, which poll `isDevUp()`, then initialise it
 * again as they do when a kernel adapter comes back up.
 */
import { EventEmitter } from 'node:events';
import { H4_COMMAND, H4_EVENT, h4Command, h4Event } from '../h4/index.js';
import type { AirProvider, PacketLink } from './h4-link.js';
import { openPacketLink } from './h4-link.js';
import { formatTransport } from './spec.js';
import type { TransportSpec } from './spec.js';

const HCI_RESET = 0x0c03;
/** HCI Read Local Version Information (Vol 4 Part E 7.4.1): harmless, answered by every controller. */
const HCI_READ_LOCAL_VERSION = 0x1001;
const EVT_DISCONNECTION_COMPLETE = 0x05;
const EVT_COMMAND_COMPLETE = 0x0e;
const EVT_COMMAND_STATUS = 0x0f;
const EVT_LE_META = 0x3e;
const LE_CONNECTION_COMPLETE = 0x01;
const LE_ENHANCED_CONNECTION_COMPLETE = 0x0a;
const REASON_CONNECTION_TIMEOUT = 0x08;

/** The link from a stack to its controller, as a supervisor sees it. */
export interface ControllerLink {
  /** The transport's text (`tcp:127.0.0.1:6402`), for logs. */
  readonly transport: string;
  /** The controller is there: the link is open and has answered its Reset. */
  readonly attached: boolean;
  /** Called when the link goes (false, with the error if it failed) or a re-attached one is up (true). */
  onLinkChange(listener: (attached: boolean, error?: Error) => void): () => void;
  /** Opens a fresh link if there is none (`attached` turns true once the controller answers). */
  reattach(): void;
  /** Resolves when the controller answers a harmless command; rejects when the link goes first. */
  probe(): Promise<void>;
  /** Cuts the link (a controller that stopped answering): the stacks see it go. */
  detach(error?: Error): void;
}

export class H4HciSocket extends EventEmitter implements ControllerLink {
  private link: PacketLink | undefined;
  private control = false;
  private up = true;
  /** Links opened so far (the first reports the device up at once). */
  private opened = 0;
  /** Our own HCI Reset is in flight: hold the host's packets until its Command Complete. */
  private resetting = false;
  private credits = 0;
  private readonly commands: Buffer[] = [];
  private readonly held: Buffer[] = [];
  private readonly handles = new Set<number>();
  /** Who sent each Read Local Version still unanswered, in order: true = our probe. */
  private readonly versionSenders: boolean[] = [];
  private readonly probes: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly linkListeners = new Set<(attached: boolean, error?: Error) => void>();
  /** Our probe commands are the very Buffer objects `probe` queued (the host's are copies). */
  private readonly probeCommands = new WeakSet<Buffer>();

  constructor(
    private readonly spec: TransportSpec,
    private readonly airProvider: AirProvider,
  ) {
    super();
  }

  get transport(): string {
    return formatTransport(this.spec);
  }

  get attached(): boolean {
    return this.up && this.link !== undefined && !this.resetting;
  }

  onLinkChange(listener: (attached: boolean, error?: Error) => void): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  reattach(): void {
    if (this.link || this.control) return;
    this.open();
  }

  probe(): Promise<void> {
    if (!this.attached) return Promise.reject(new Error(`controller on ${this.transport} is not attached`));
    return new Promise((resolve, reject) => {
      this.probes.push({ resolve, reject });
      const command = h4Command(HCI_READ_LOCAL_VERSION);
      this.probeCommands.add(command);
      this.commands.push(command);
      this.pump();
    });
  }

  detach(error?: Error): void {
    const link = this.link;
    if (!link) return;
    this.linkClosed(error);
    link.close();
  }

  getDeviceList(): {
    devId: number;
    devUp: boolean;
    idVendor: null;
    idProduct: null;
    busNumber: null;
    deviceAddress: null;
  }[] {
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

  /** The inert mgmt socket (bindControl), not a link to a controller. */
  get isControl(): boolean {
    return this.control;
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

  /**
   * Opens the link and resets the controller. The first link reports the device up at once (host
   * packets wait for the Reset); a re-attached one only once the Reset is answered.
   */
  private open(): void {
    if (this.link) return;
    const first = this.opened === 0;
    this.opened++;
    this.resetting = true;
    this.credits = 0;
    this.up = first;
    const link = openPacketLink(
      this.spec,
      {
        onPacket: (p) => {
          if (this.link === link) this.fromController(p);
        },
        onClose: (err) => {
          if (this.link === link) this.linkClosed(err);
        },
      },
      this.airProvider,
    );
    this.link = link;
    link.send(h4Command(HCI_RESET));
  }

  private pump(): void {
    while (!this.resetting && this.credits > 0 && this.commands.length > 0 && this.link) {
      this.credits--;
      const command = this.commands.shift() as Buffer;
      if (command.readUInt16LE(1) === HCI_READ_LOCAL_VERSION) this.versionSenders.push(this.probeCommands.has(command));
      this.link.send(command);
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
          this.up = true;
          for (const p of this.held.splice(0)) this.link?.send(p);
          this.pump();
          this.notify(true);
          return; // Swallowed: the host did not send this Reset.
        }
        if (op === HCI_READ_LOCAL_VERSION && this.versionSenders.shift() === true) {
          this.pump();
          this.probes.shift()?.resolve();
          return; // Swallowed: our liveness probe, not the host's command.
        }
        this.pump();
      } else if (
        code === EVT_LE_META &&
        (packet[3] === LE_CONNECTION_COMPLETE || packet[3] === LE_ENHANCED_CONNECTION_COMPLETE) &&
        packet[4] === 0
      ) {
        this.handles.add(packet.readUInt16LE(5));
      } else if (code === EVT_DISCONNECTION_COMPLETE) {
        this.handles.delete(packet.readUInt16LE(4));
      }
    }
    this.emit('data', packet);
  }

  private linkClosed(err?: Error): void {
    if (!this.link) return;
    this.link = undefined;
    const wasUp = this.up;
    this.up = false;
    this.resetting = false;
    for (const handle of this.handles) {
      this.emit(
        'data',
        h4Event(EVT_DISCONNECTION_COMPLETE, Buffer.from([0, handle & 0xff, handle >> 8, REASON_CONNECTION_TIMEOUT])),
      );
    }
    this.handles.clear();
    this.commands.length = 0;
    this.held.length = 0;
    this.versionSenders.length = 0;
    const gone = err ?? new Error(`controller on ${this.transport} went away`);
    for (const p of this.probes.splice(0)) p.reject(gone);
    if (wasUp && err && this.listenerCount('error') > 0) this.emit('error', err);
    this.notify(false, err);
  }

  private notify(attached: boolean, error?: Error): void {
    for (const l of [...this.linkListeners]) l(attached, error);
  }
}
