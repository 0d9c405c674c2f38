/**
 * Splits an H4 byte stream into whole packets. Reads from a UART, TCP or a unix socket arrive in
 * arbitrary pieces: one read may hold half a packet or several; both stacks want exactly one complete
 * packet per 'data' event (BLE-NOTES.md, "Loading the stacks"), so every byte stream goes through here.
 */
import { H4_ACL, H4_COMMAND, H4_EVENT, H4_ISO, H4_SCO } from './packets.js';

/** Header length after the indicator, and where/how the payload length is read. */
interface Layout {
  header: number;
  length: (buf: Buffer, at: number) => number;
}

const LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [H4_COMMAND, { header: 3, length: (b: Buffer, at: number) => b[at + 2] ?? 0 }],
  [H4_ACL, { header: 4, length: (b: Buffer, at: number) => b.readUInt16LE(at + 2) }],
  [H4_SCO, { header: 3, length: (b: Buffer, at: number) => b[at + 2] ?? 0 }],
  [H4_EVENT, { header: 2, length: (b: Buffer, at: number) => b[at + 1] ?? 0 }],
  [H4_ISO, { header: 4, length: (b: Buffer, at: number) => b.readUInt16LE(at + 2) & 0x3fff }],
]);

export class H4FramingError extends Error {
  constructor(readonly indicator: number) {
    super(`unknown H4 packet indicator 0x${indicator.toString(16).padStart(2, '0')}`);
    this.name = 'H4FramingError';
  }
}

export class H4Framer {
  private pending: Buffer = Buffer.alloc(0);
  private failed = false;

  /** @param onPacket gets each complete packet, indicator byte first, in its own Buffer. */
  constructor(private readonly onPacket: (packet: Buffer) => void) {}

  /**
   * Feeds bytes. Throws {@link H4FramingError} on an unknown indicator: the stream cannot be
   * resynchronised after that, so the framer stays failed and the caller should close the link.
   */
  push(chunk: Uint8Array): void {
    if (this.failed) return;
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let at = 0;
    for (;;) {
      if (this.pending.length - at < 1) break;
      const indicator = this.pending[at] as number;
      const layout = LAYOUTS.get(indicator);
      if (!layout) {
        this.failed = true;
        this.pending = Buffer.alloc(0);
        throw new H4FramingError(indicator);
      }
      if (this.pending.length - at < 1 + layout.header) break;
      const total = 1 + layout.header + layout.length(this.pending, at + 1);
      if (this.pending.length - at < total) break;
      // A copy, so a host that keeps the Buffer never sees it change under it.
      const packet = Buffer.from(this.pending.subarray(at, at + total));
      at += total;
      this.onPacket(packet);
    }
    this.pending = at === 0 ? this.pending : Buffer.from(this.pending.subarray(at));
  }

  /** Bytes of an incomplete packet still held (non-zero when a peer closed mid-packet). */
  get buffered(): number {
    return this.pending.length;
  }
}
