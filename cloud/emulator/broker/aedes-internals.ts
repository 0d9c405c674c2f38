/**
 * The parts of aedes 1.x the broker uses that its typings do not declare: the client's packet
 * parser, its subscriptions and QoS delivery, and the broker's session store. Kept in one place so
 * an aedes upgrade has one file to check.
 */
import type { Aedes, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import type { Packet } from 'mqtt-packet';

/** aedes's session store (persistent sessions' subscriptions). */
export interface SessionStore {
  cleanSubscriptions(client: { id: string }): Promise<void>;
  countOffline(): Promise<{ subsCount: number }>;
}

export function sessionStoreOf(broker: Aedes): SessionStore {
  return (broker as unknown as { persistence: SessionStore }).persistence;
}

/** Runs `listener` on each packet the client sends, before aedes handles it. */
export function prependPacketListener(client: Client, listener: (packet: Packet) => void): void {
  const parser = (client as unknown as { _parser: { prependListener(e: 'packet', l: (p: Packet) => void): void } })
    ._parser;
  parser.prependListener('packet', listener);
}

/** The client's subscriptions: topic filter → granted QoS. */
export function subscriptionsOf(client: Client): Record<string, { qos?: number }> {
  return (client as unknown as { subscriptions: Record<string, { qos?: number }> }).subscriptions;
}

/**
 * Delivers `packet` to this client alone at its QoS. The callback reports nothing the broker could
 * act on: a failed write closes the client, and aedes reports that as a client error.
 */
export function deliverTo(client: Client, packet: AedesPublishPacket): void {
  (client as unknown as { deliverQoS(p: PublishPacket, cb: () => void): void }).deliverQoS(packet, () => undefined);
}
