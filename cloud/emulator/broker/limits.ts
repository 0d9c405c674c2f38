/**
 * AWS IoT Core message-broker limits the emulator enforces (AWS IoT Core endpoints and quotas,
 * "Message broker and protocol limits and quotas").
 */

/** Largest PUBLISH payload accepted, in bytes (AWS: 128 KB). Larger ones disconnect the client. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;
/** Longest topic or topic filter, in UTF-8 bytes (AWS: 256 bytes). */
export const MAX_TOPIC_BYTES = 256;
/** Most forward slashes in a topic or topic filter (AWS: 7, i.e. 8 levels). */
export const MAX_TOPIC_SLASHES = 7;
/** Longest client id, in UTF-8 bytes (AWS: 128 bytes). */
export const MAX_CLIENT_ID_BYTES = 128;
/** Most topic filters in one SUBSCRIBE (AWS: 8); more disconnect the client. */
export const MAX_SUBSCRIPTIONS_PER_REQUEST = 8;
/** MQTT port AWS uses; the emulator listens there unless told otherwise (0 = any free port). */
export const DEFAULT_MQTT_PORT = 8883;
/** ALPN protocol AWS IoT accepts for MQTT over port 443. */
export const ALPN_MQTT = 'x-amzn-mqtt-ca';
/** Time a TLS client gets to complete its handshake and send CONNECT, in milliseconds. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Largest MQTT packet accepted, fixed header included, in bytes: the Maximum Packet Size AWS IoT
 * Core announces in its MQTT 5 CONNACK (146 KiB, room for a 128 KB payload plus topic and
 * properties). It is checked as soon as a packet's remaining length is read, before its body is
 * buffered, on MQTT 3.1.1 and 5 alike; a larger packet closes the connection.
 */
export const MAX_PACKET_BYTES = 149_504;
/** Most subscriptions one connection may hold (AWS IoT Core quotas, "Subscriptions per connection": 50). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;
/**
 * Time a TCP connection gets to complete its TLS handshake, in milliseconds; after it (or on any
 * TLS error) the socket is destroyed. AWS does not publish its value; 10 s like the CONNECT wait.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
export { FLEET_API_REQUESTS_PER_SECOND } from './fleet/index.js';

export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Why a topic or filter breaks AWS's limits, or undefined when it is fine. */
export function topicLimitViolation(topic: string): string | undefined {
  if (utf8Length(topic) > MAX_TOPIC_BYTES) return `topic longer than ${MAX_TOPIC_BYTES} bytes`;
  if ((topic.match(/\//g)?.length ?? 0) > MAX_TOPIC_SLASHES)
    return `topic with more than ${MAX_TOPIC_SLASHES} forward slashes`;
  return undefined;
}
