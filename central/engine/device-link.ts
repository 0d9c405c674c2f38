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
  /** Writes one frame (with response, so frames stay ordered and acknowledged). */
  write(name: WritableName, frame: Uint8Array): Promise<void>;
  /** Receives the notified frames of `name` (subscribed on connect). */
  onFrame(name: NotifyName, listener: (frame: Uint8Array) => void): void;
  /** Called once when the link drops (not after `close`). */
  onDrop(listener: () => void): void;
  close(): Promise<void>;
}
