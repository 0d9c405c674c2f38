/**
 * aedes speaks MQTT 3.1 and 3.1.1 only. AWS IoT also speaks MQTT 5, and aws-iot-device-sdk-v2's
 * Mqtt5Client needs it, so an MQTT 5 connection is translated packet by packet (one codec,
 * mqtt-packet, on both sides) into 3.1.1 for aedes and back. The translation itself is
 * mqtt5-translate.ts; this module is the byte streams around it.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { MAX_PACKET_BYTES } from './limits.js';
import { Mqtt5Translation } from './mqtt5-translate.js';
import type { FramingViolation } from './packet-size.js';
import { CLOSE_FLUSH_MS, PacketSizeGuard } from './packet-size.js';

/** MQTT 5 "protocol error": AUTH, or a packet a client may not send. */
const PROTOCOL_ERROR = 0x82;

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
  const translation = new Mqtt5Translation();
  // mqtt-packet 9 ignores its maxPacketSize option: the size is checked on the bytes, before parsing.
  const sizeGuard = new PacketSizeGuard(MAX_PACKET_BYTES);
  let refused = false;
  const fromClient = mqttPacket.parser({ protocolVersion: 5 });
  const fromBroker = mqttPacket.parser({ protocolVersion: 4 });
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
      endClientSocket(socket, disconnectReasons.get(inner), translation);
      cb(err);
    },
  });

  fromClient.on('packet', (p: Packet) => {
    const out = translation.toBroker(p);
    if (out) {
      if (!inner.push(mqttPacket.generate(out, { protocolVersion: 4 }))) socket.pause();
      return;
    }
    toClient({ cmd: 'disconnect', reasonCode: PROTOCOL_ERROR });
    socket.end();
  });
  fromBroker.on('packet', (p: Packet) => toClient(translation.toClient(p)));

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

/**
 * Closes the client's socket when aedes is done with the connection: ended, not destroyed, so what
 * was written last (a refusing CONNACK, the DISCONNECT with `reason`) is flushed first.
 */
function endClientSocket(socket: Socket | Duplex, reason: number | undefined, translation: Mqtt5Translation): void {
  if (socket.destroyed) return;
  const goodbye =
    reason !== undefined && translation.connected && !translation.clientSaidGoodbye
      ? mqttPacket.generate({ cmd: 'disconnect', reasonCode: reason }, { protocolVersion: 5 })
      : undefined;
  if (goodbye) socket.end(goodbye);
  else socket.end();
  setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
}
