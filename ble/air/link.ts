/** One LE connection on the virtual air: its parameters and what waits to go in each direction. */
import type { Phy } from './link-timing.js';
import type { VirtualController } from './controller.js';

/** An LL data PDU waiting for a connection event; the last PDU of a host ACL packet delivers it. */
export interface QueuedPdu {
  octets: number;
  /** The host ACL packet completed by this PDU (already rewritten for the receiver). */
  completes?: Buffer;
}

export class Link {
  /** False once the link is gone: nothing more is delivered on it. */
  open = true;
  /** Set while a Disconnect is on its way to the peer: the hosts' new data is ignored. */
  closing = false;
  readonly toPeripheral: QueuedPdu[] = [];
  readonly toCentral: QueuedPdu[] = [];
  eventScheduled = false;
  /** Start of the last connection event, µs (-Infinity before the first). */
  lastEventUs = -Infinity;
  latency = 0;

  constructor(
    readonly handle: number,
    readonly central: VirtualController,
    readonly peripheral: VirtualController,
    public intervalUs: number,
    public supervisionTimeoutUs: number,
    public phy: Phy,
    /** Max LL payload each side sends (LE Set Data Length). */
    public readonly txOctets: { central: number; peripheral: number },
    /** Time of the first connection event; events happen at anchor + k × interval. */
    public anchorUs: number,
  ) {}

  peerOf(c: VirtualController): VirtualController {
    return c === this.central ? this.peripheral : this.central;
  }

  /** Start of the first connection event at or after `nowUs` that follows the last one. */
  nextEventAt(nowUs: number): number {
    const k = Math.max(0, Math.ceil((nowUs - this.anchorUs) / this.intervalUs));
    let t = this.anchorUs + k * this.intervalUs;
    while (t <= this.lastEventUs) t += this.intervalUs;
    return t;
  }

  get hasData(): boolean {
    return this.toPeripheral.length > 0 || this.toCentral.length > 0;
  }
}
