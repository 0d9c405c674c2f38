import type { WriteKind } from '../../protocol/index.js';

/** Characteristics whose frames the phone writes, and those it subscribes to. */
export type WritableName = 'session' | 'wifi' | 'claim' | 'control';
export type NotifyName = 'session' | 'status' | 'scan';

/**
 * The phone's view of one connected device, independent of the transport (noble here; an
 * in-memory pair in tests): read `info`, write frames, receive notified frames, learn of a drop.
 */
export interface DeviceLink {
  /** ATT payload (ATT_MTU - 3) negotiated for this link, bytes. */
  readonly attPayload: number;
  readInfo(): Promise<Uint8Array>;
  /** Reads the `status` value (sealed, unframed; PROTOCOL.md §2.2), where the transport can. */
  readStatus?(): Promise<Uint8Array>;
  /**
   * Whether `write` can send a frame as an ATT Write Command (write without response). Absent or
   * false: every frame goes as a Write Request, whatever the device's write window (PROTOCOL.md §2.4).
   */
  readonly writeWithoutResponse?: boolean;
  /**
   * Writes one frame: as a Write Request (the default; resolves with the device's response) or, where
   * `writeWithoutResponse`, as a Write Command (resolves once the stack has taken it).
   */
  write(name: WritableName, frame: Uint8Array, kind?: WriteKind): Promise<void>;
  /** Receives the notified frames of `name` (subscribed on connect). */
  onFrame(name: NotifyName, listener: (frame: Uint8Array) => void): void;
  /** Called once when the link drops (not after `close`). */
  onDrop(listener: () => void): void;
  close(): Promise<void>;
}
