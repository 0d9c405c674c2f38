/**
 * Gives a DeviceLink over HTTP the event order BLE has, which DeviceSession relies on:
 * - every notification is its own event (BLE: one ATT notification each), so the promise
 *   continuations one of them triggers run before the next is decoded. Over HTTP one long-poll
 *   answer carries several frames, delivered in one synchronous loop: the handshake's `done` and the
 *   first sealed status arrive together, and the status is decoded before DeviceSession has
 *   installed the session keys (a microtask later), which fails the session with SESSION_REQUIRED;
 * - a notification the device sends while handling a write comes after that write's
 *   acknowledgement. Over HTTP the long-poll answer can overtake the POST's 204.
 * So notifications (and a drop) queue here and are delivered one per task, none while a write is
 * in flight; order is kept.
 */
import type { DeviceLink, NotifyName, WritableName } from '../../../central/ble/device-link.js';

export function orderedLink(link: DeviceLink): DeviceLink {
  let writing = 0;
  let scheduled = false;
  const queue: Array<() => void> = [];

  const pump = (): void => {
    if (scheduled || writing > 0 || queue.length === 0) return;
    scheduled = true;
    // A task, not a microtask: whatever the previous event started (or the awaiting writer's
    // continuation) runs to its next await first.
    setTimeout(() => {
      scheduled = false;
      if (writing > 0) return;
      queue.shift()?.();
      pump();
    }, 0);
  };
  const deliver = (event: () => void): void => {
    queue.push(event);
    pump();
  };

  return {
    get attPayload(): number {
      return link.attPayload;
    },
    readInfo: () => link.readInfo(),
    async write(name: WritableName, frame: Uint8Array): Promise<void> {
      writing++;
      try {
        await link.write(name, frame);
      } finally {
        writing--;
        pump();
      }
    },
    onFrame(name: NotifyName, listener: (frame: Uint8Array) => void): void {
      link.onFrame(name, (frame) => deliver(() => listener(frame)));
    },
    onDrop(listener: () => void): void {
      link.onDrop(() => deliver(listener));
    },
    close: () => link.close(),
  };
}
