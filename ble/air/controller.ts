/**
 * One virtual LE controller: what a host talks to over H4. What happens on the medium (reports,
 * connections, data timing) is the air's job; this class holds the controller's own state and hands
 * each command to its handler in `commands.ts` (a table by opcode).
 */
import { H4_ACL, H4_COMMAND, addressToString } from '../h4/index.js';
import type { Air } from './air.js';
import { COMMAND_HANDLERS } from './commands.js';
import { commandStatus } from './events.js';
import { ADV_TYPE, STATUS } from './hci.js';

export interface PendingConnect {
  peer: string;
  peerAddress: Buffer;
  intervalUnits: number;
  timeoutUnits: number;
  scheduled: boolean;
}

export class VirtualController {
  readonly addressText: string;
  readonly adv = {
    type: ADV_TYPE.ADV_IND as number,
    data: Buffer.alloc(0),
    scanResponse: Buffer.alloc(0),
    enabled: false,
  };
  readonly scan = { enabled: false, active: false };
  pendingConnect: PendingConnect | undefined;
  private attached = true;

  constructor(
    /** The medium this controller is on (command handlers ask it for what happens on air). */
    readonly air: Air,
    /** Little-endian, as HCI carries it. */
    readonly address: Buffer,
    private readonly toHost: (packet: Buffer) => void,
  ) {
    this.addressText = addressToString(address);
  }

  /** Sends to the host at the current simulated instant, after anything already due now. */
  emit(packet: Buffer): void {
    this.air.scheduler.at(this.air.scheduler.now(), () => this.emitNow(packet));
  }

  /** Sends to the host immediately (for code already running at the right simulated instant). */
  emitNow(packet: Buffer): void {
    if (this.attached) this.toHost(packet);
  }

  /** The host is gone: its links drop (the peer sees a supervision timeout) and it stops advertising. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.clearState();
    this.air.detached(this);
  }

  /** One complete H4 packet from the host. */
  receive(packet: Buffer): void {
    if (!this.attached || packet.length < 1) return;
    if (packet[0] === H4_COMMAND && packet.length >= 4)
      this.command(packet.readUInt16LE(1), packet.subarray(4, 4 + (packet[3] ?? 0)));
    else if (packet[0] === H4_ACL && packet.length >= 5) {
      const link = this.air.linkOf(this, packet.readUInt16LE(1) & 0x0fff);
      if (link) this.air.sendAcl(this, link, packet);
    }
  }

  /** Back to power-on state: not advertising, not scanning, no connection being made. */
  clearState(): void {
    this.adv.enabled = false;
    this.adv.type = ADV_TYPE.ADV_IND;
    this.adv.data = Buffer.alloc(0);
    this.adv.scanResponse = Buffer.alloc(0);
    this.scan.enabled = false;
    this.scan.active = false;
    this.pendingConnect = undefined;
  }

  /** Answers one command; unknown ones too, never dropped: a host would wait for ever (Vol 4 Part E 4.5). */
  private command(op: number, p: Buffer): void {
    const handler = COMMAND_HANDLERS.get(op);
    handler?.(this, p, op);
    this.air.countCommand(handler !== undefined);
    if (!handler) this.emit(commandStatus(op, STATUS.UNKNOWN_COMMAND));
  }
}
