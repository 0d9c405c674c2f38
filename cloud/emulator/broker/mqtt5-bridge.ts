/**
 * aedes speaks MQTT 3.1 and 3.1.1 only. AWS IoT also speaks MQTT 5, and aws-iot-device-sdk-v2's
 * Mqtt5Client needs it, so an MQTT 5 connection is translated packet by packet (one codec,
 * mqtt-packet, on both sides) into 3.1.1 for aedes and back. What MQTT 5 adds and AWS semantics do
 * not need here (properties, topic aliases: the CONNACK grants none) is dropped; reason codes are
 * mapped from 3.1.1 return codes.
 */
import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { IConnackPacket, Packet } from 'mqtt-packet';
import { MAX_PACKET_BYTES } from './limits.js';
import type { FramingViolation } from './packet-size.js';
import { CLOSE_FLUSH_MS, PacketSizeGuard } from './packet-size.js';

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

/** MQTT 5 DISCONNECT reason codes the broker sends when it closes a connection. */
export const DisconnectReason = {
  notAuthorized: 0x87,
  sessionTakenOver: 0x8e,
  malformedPacket: 0x81,
  quotaExceeded: 0x97,
  qosNotSupported: 0x9b,
  topicNameInvalid: 0x90,
  packetTooLarge: 0x95,
  administrativeAction: 0x98,
} as const;

const disconnectReasons = new WeakMap<object, number>();

/**
 * Records why the broker is about to close `stream`; an MQTT 5 client is then sent a DISCONNECT
 * with that reason code first (MQTT 3.1.1 has no such packet: the socket just closes).
 */
export function setDisconnectReason(stream: object, reasonCode: number): void {
  disconnectReasons.set(stream, reasonCode);
}

/** Reads the protocol level of a CONNECT at the start of `buf`; undefined if more bytes are needed. */
export function peekProtocolLevel(buf: Buffer): number | undefined {
  let offset = 1;
  for (let i = 0; i < 4; i++, offset++) {
    if (buf.length <= offset) return undefined;
    if (((buf[offset] as number) & 0x80) === 0) break;
  }
  offset++; // past the last remaining-length byte
  if (buf.length < offset + 2) return undefined;
  const nameLength = buf.readUInt16BE(offset);
  const levelAt = offset + 2 + nameLength;
  return buf.length > levelAt ? buf[levelAt] : undefined;
}

/**
 * Wraps an MQTT 5 client socket; hand the returned stream to aedes. `socket` must be paused with
 * everything read so far unshifted back.
 */
export function bridgeMqtt5(
  socket: Socket | Duplex,
  onViolation: (v: FramingViolation) => void = () => undefined,
): Duplex {
  // mqtt-packet 9 ignores its maxPacketSize option: the size is checked on the bytes, before parsing.
  const sizeGuard = new PacketSizeGuard(MAX_PACKET_BYTES);
  let refused = false;
  const fromClient = mqttPacket.parser({ protocolVersion: 5 });
  const fromBroker = mqttPacket.parser({ protocolVersion: 4 });
  let assignedClientId: string | undefined;
  let connected = false;
  let clientSaidGoodbye = false;
  const unsubscribeCounts = new Map<number, number>();

  const toClient = (packet: Packet): void => {
    if (!socket.destroyed) socket.write(mqttPacket.generate(packet, { protocolVersion: 5 }));
  };

  const inner = new Duplex({
    read() {
      if (!refused) socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      fromBroker.parse(chunk);
      cb();
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      const reason = disconnectReasons.get(inner);
      if (!socket.destroyed) {
        // Ended, not destroyed: what was written last (a refusing CONNACK, the DISCONNECT) is flushed first.
        const goodbye =
          reason !== undefined && connected && !clientSaidGoodbye
            ? mqttPacket.generate({ cmd: 'disconnect', reasonCode: reason } as Packet, { protocolVersion: 5 })
            : undefined;
        if (goodbye) socket.end(goodbye);
        else socket.end();
        setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
      }
      cb(err);
    },
  });

  const toBroker = (packet: Packet): void => {
    if (!inner.push(mqttPacket.generate(packet, { protocolVersion: 4 }))) socket.pause();
  };

  fromClient.on('packet', (p: Packet) => {
    switch (p.cmd) {
      case 'connect': {
        let clientId = p.clientId;
        if (clientId === '') {
          assignedClientId = randomUUID();
          clientId = assignedClientId;
        }
        const out: Packet = {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: p.clean,
          keepalive: p.keepalive,
          clientId,
        };
        if (p.username !== undefined) out.username = p.username;
        if (p.password !== undefined) out.password = p.password;
        if (p.will) out.will = { topic: p.will.topic, payload: p.will.payload, qos: p.will.qos, retain: p.will.retain };
        toBroker(out);
        return;
      }
      case 'publish':
        toBroker({
          cmd: 'publish',
          topic: p.topic,
          payload: p.payload,
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          ...(p.qos > 0 ? { messageId: p.messageId } : {}),
        });
        return;
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        toBroker({ cmd: p.cmd, messageId: p.messageId } as Packet);
        return;
      case 'subscribe':
        toBroker({
          cmd: 'subscribe',
          messageId: p.messageId,
          subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })),
        });
        return;
      case 'unsubscribe':
        unsubscribeCounts.set(p.messageId ?? 0, p.unsubscriptions.length);
        toBroker({ cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.unsubscriptions } as Packet);
        return;
      case 'pingreq':
        toBroker({ cmd: 'pingreq' });
        return;
      case 'disconnect':
        clientSaidGoodbye = true;
        toBroker({ cmd: 'disconnect' });
        return;
      default:
        // AUTH and anything unexpected: MQTT 5 "protocol error", then close.
        toClient({ cmd: 'disconnect', reasonCode: 0x82 } as Packet);
        socket.end();
    }
  });

  fromBroker.on('packet', (p: Packet) => {
    switch (p.cmd) {
      case 'connack': {
        connected = !p.returnCode;
        const properties = {
          ...CONNACK_PROPERTIES,
          ...(assignedClientId !== undefined ? { assignedClientIdentifier: assignedClientId } : {}),
        };
        toClient({
          cmd: 'connack',
          sessionPresent: p.sessionPresent,
          reasonCode: CONNACK_REASON[p.returnCode ?? 0] ?? 0x80,
          ...(p.returnCode ? {} : { properties }),
        });
        return;
      }
      case 'suback':
        toClient({
          cmd: 'suback',
          messageId: p.messageId,
          granted: p.granted.map((g) => (typeof g === 'number' && g >= 0x80 ? 0x87 : g)),
        } as Packet);
        return;
      case 'unsuback': {
        const n = unsubscribeCounts.get(p.messageId ?? 0) ?? 1;
        unsubscribeCounts.delete(p.messageId ?? 0);
        toClient({ cmd: 'unsuback', messageId: p.messageId, granted: new Array<number>(n).fill(0) } as Packet);
        return;
      }
      case 'publish':
        toClient({
          cmd: 'publish',
          topic: p.topic,
          payload: p.payload,
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          ...(p.qos > 0 ? { messageId: p.messageId } : {}),
        });
        return;
      default:
        toClient(p);
    }
  });

  const onError = (): void => {
    inner.destroy();
    socket.destroy();
  };
  fromClient.on('error', onError);
  fromBroker.on('error', onError);
  socket.on('data', (d: Buffer) => {
    if (refused) return;
    const violation = sizeGuard.check(d);
    if (!violation) {
      fromClient.parse(d);
      return;
    }
    // [MQTT-3.2.2-15]-style refusal: DISCONNECT 0x95 (0x81 when malformed), nothing of the packet kept.
    refused = true;
    socket.pause();
    onViolation(violation);
    disconnectReasons.set(
      inner,
      violation.kind === 'too-large' ? DisconnectReason.packetTooLarge : DisconnectReason.malformedPacket,
    );
    inner.destroy();
  });
  socket.on('end', () => inner.push(null));
  socket.on('close', () => inner.destroy());
  socket.on('error', () => inner.destroy());
  return inner;
}
