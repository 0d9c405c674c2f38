/**
 * Packet translation between an MQTT 5 client and aedes (3.1.1), without I/O: what MQTT 5 adds and
 * AWS semantics do not need here (properties, topic aliases: the CONNACK grants none) is dropped;
 * 3.1.1 return codes become MQTT 5 reason codes. One instance per connection: it remembers what the
 * answers depend on (an assigned client id, how many filters each UNSUBSCRIBE named).
 */
import { randomUUID } from 'node:crypto';
import type { IConnackPacket, IConnectPacket, Packet } from 'mqtt-packet';
import { MAX_PACKET_BYTES } from './limits.js';

/** AWS IoT's MQTT 5 CONNACK values (maximum packet size is AWS's 146 KiB, enforced by PacketSizeGuard). */
const CONNACK_PROPERTIES: NonNullable<IConnackPacket['properties']> = {
  maximumQoS: 1,
  retainAvailable: true,
  receiveMaximum: 100,
  maximumPacketSize: MAX_PACKET_BYTES,
  topicAliasMaximum: 0,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: false,
  sharedSubscriptionAvailable: false,
};

/** 3.1.1 CONNACK return code → MQTT 5 reason code. */
const CONNACK_REASON: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };

/** PUBLISH without MQTT 5 properties; the message id only when QoS > 0, as both versions want. */
function plainPublish(p: Extract<Packet, { cmd: 'publish' }>): Packet {
  return {
    cmd: 'publish',
    topic: p.topic,
    payload: p.payload,
    qos: p.qos,
    retain: p.retain,
    dup: p.dup,
    ...(p.qos > 0 ? { messageId: p.messageId } : {}),
  };
}

export class Mqtt5Translation {
  /** The client id the broker assigned to a CONNECT with an empty one (sent back in CONNACK). */
  private assignedClientId: string | undefined;
  private readonly unsubscribeCounts = new Map<number, number>();
  /** The CONNACK accepted the connection. */
  connected = false;
  /** The client sent DISCONNECT itself (it is then sent none back). */
  clientSaidGoodbye = false;

  /** An MQTT 5 packet from the client as 3.1.1 for aedes; undefined for AUTH and anything 3.1.1 lacks. */
  toBroker(p: Packet): Packet | undefined {
    switch (p.cmd) {
      case 'connect':
        return this.connect(p);
      case 'publish':
        return plainPublish(p);
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        return { cmd: p.cmd, messageId: p.messageId } as Packet;
      case 'subscribe':
        return {
          cmd: 'subscribe',
          ...(p.messageId !== undefined ? { messageId: p.messageId } : {}),
          subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })),
        };
      case 'unsubscribe':
        this.unsubscribeCounts.set(p.messageId ?? 0, p.unsubscriptions.length);
        return { cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.unsubscriptions } as Packet;
      case 'pingreq':
        return { cmd: 'pingreq' };
      case 'disconnect':
        this.clientSaidGoodbye = true;
        return { cmd: 'disconnect' };
      default:
        return undefined;
    }
  }

  /** A 3.1.1 packet from aedes as MQTT 5 for the client. */
  toClient(p: Packet): Packet {
    switch (p.cmd) {
      case 'connack':
        return this.connack(p);
      case 'suback':
        return {
          cmd: 'suback',
          messageId: p.messageId,
          granted: p.granted.map((g) => (typeof g === 'number' && g >= 0x80 ? 0x87 : g)),
        } as Packet;
      case 'unsuback': {
        const n = this.unsubscribeCounts.get(p.messageId ?? 0) ?? 1;
        this.unsubscribeCounts.delete(p.messageId ?? 0);
        return { cmd: 'unsuback', messageId: p.messageId, granted: new Array<number>(n).fill(0) } as Packet;
      }
      case 'publish':
        return plainPublish(p);
      default:
        return p;
    }
  }

  private connect(p: IConnectPacket): Packet {
    let clientId = p.clientId;
    if (clientId === '') {
      this.assignedClientId = randomUUID();
      clientId = this.assignedClientId;
    }
    const out: IConnectPacket = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId };
    if (p.clean !== undefined) out.clean = p.clean;
    if (p.keepalive !== undefined) out.keepalive = p.keepalive;
    if (p.username !== undefined) out.username = p.username;
    if (p.password !== undefined) out.password = p.password;
    if (p.will) {
      // The will without its MQTT 5 properties.
      const { topic, payload, qos, retain } = p.will;
      out.will = { topic, payload, ...(qos !== undefined ? { qos } : {}), ...(retain !== undefined ? { retain } : {}) };
    }
    return out;
  }

  private connack(p: IConnackPacket): Packet {
    this.connected = !p.returnCode;
    const properties = {
      ...CONNACK_PROPERTIES,
      ...(this.assignedClientId !== undefined ? { assignedClientIdentifier: this.assignedClientId } : {}),
    };
    return {
      cmd: 'connack',
      sessionPresent: p.sessionPresent,
      reasonCode: CONNACK_REASON[p.returnCode ?? 0] ?? 0x80,
      ...(p.returnCode ? {} : { properties }),
    };
  }
}
