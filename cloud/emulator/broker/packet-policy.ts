/**
 * AWS IoT rules about whole packets that aedes has no hook for: QoS 2 anywhere, topic filters per
 * SUBSCRIBE and subscriptions per connection. A packet breaking one closes the connection; it is
 * never handled.
 *
 * Sources: AWS IoT Core developer guide, "MQTT" → "AWS IoT differences from MQTT specifications"
 * (QoS 2 is not supported; "the AWS IoT message broker does not send a PUBACK or SUBACK when QoS 2
 * is requested"; clients report the connection is then closed, e.g. github.com/bertmelis/espMqttClient
 * issue 116, github.com/shamblett/mqtt_client issue 232), and "AWS IoT Core endpoints and quotas",
 * message broker quotas (8 topic filters per SUBSCRIBE, 50 subscriptions per connection; a request
 * over them disconnects the client: repost.aws answers on CLIENT_ERROR disconnects, iotforall.com
 * "AWS IoT Core Limits and Impact on IoT Design").
 */
import type { Packet } from 'mqtt-packet';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_SUBSCRIPTIONS_PER_REQUEST } from './limits.js';
import { DisconnectReason } from './mqtt5-bridge.js';

export interface PacketRefusal {
  /** MQTT 5 DISCONNECT reason code. */
  reason: number;
  message: string;
}

const qos2 = (message: string): PacketRefusal => ({ reason: DisconnectReason.qosNotSupported, message });

/**
 * Why `packet` must close the connection, or undefined. `subscribed` is the connection's set of
 * topic filters; it is updated for SUBSCRIBE and UNSUBSCRIBE packets that pass.
 */
export function packetRefusal(packet: Packet, subscribed: Set<string>): PacketRefusal | undefined {
  switch (packet.cmd) {
    case 'connect':
      return packet.will && packet.will.qos === 2 ? qos2('last will with QoS 2') : undefined;
    case 'publish':
      return packet.qos === 2 ? qos2('PUBLISH with QoS 2') : undefined;
    case 'subscribe': {
      const filters = packet.subscriptions;
      if (filters.length > MAX_SUBSCRIPTIONS_PER_REQUEST) {
        return {
          reason: DisconnectReason.quotaExceeded,
          message: `SUBSCRIBE with ${filters.length} topic filters (at most ${MAX_SUBSCRIPTIONS_PER_REQUEST})`,
        };
      }
      if (filters.some((f) => f.qos === 2)) return qos2('SUBSCRIBE with QoS 2');
      const added = new Set(filters.map((f) => f.topic).filter((t) => !subscribed.has(t)));
      if (subscribed.size + added.size > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return {
          reason: DisconnectReason.quotaExceeded,
          message: `more than ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions on one connection`,
        };
      }
      for (const t of added) subscribed.add(t);
      return undefined;
    }
    case 'unsubscribe':
      for (const t of packet.unsubscriptions) subscribed.delete(t);
      return undefined;
    default:
      return undefined;
  }
}
