/**
 * What the seed's pubsub.py does, with the device's permanent certificate: connect (mutual TLS,
 * client id = thing name), subscribe, publish ten "Hello World! [n]" and receive them. The topic
 * is under things/<thingName>/, the only topics the device policy allows.
 */
import mqtt from 'mqtt';
import { deviceTopicPrefix } from '../cloud/deploy/documents.js';
import type { CommittedCredentials } from '../peripheral/storage/credential-store.js';

/** Messages published and expected back, as in pubsub.py. */
export const MESSAGE_COUNT = 10;
/** How long to wait for all messages to come back, ms. */
export const PUBSUB_TIMEOUT_MS = 15_000;

export interface PubSubResult {
  topic: string;
  received: string[];
  /** Connect + subscribe + first message back, ms. */
  firstMessageMs: number;
}

export async function runPubSub(
  creds: CommittedCredentials,
  caPem: string,
  now: () => number = Date.now,
): Promise<PubSubResult> {
  const start = now();
  const topic = `${deviceTopicPrefix(creds.thingName)}test/topic`;
  const client = await mqtt.connectAsync({
    protocol: 'mqtts',
    host: creds.endpoint.host,
    port: creds.endpoint.port,
    clientId: creds.thingName,
    ca: caPem,
    cert: creds.certificatePem,
    key: creds.privateKeyPem,
    reconnectPeriod: 0,
    connectTimeout: PUBSUB_TIMEOUT_MS,
  });
  try {
    const received: string[] = [];
    let firstMessageMs = 0;
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${received.length} of ${MESSAGE_COUNT} messages on ${topic}`)),
        PUBSUB_TIMEOUT_MS,
      );
      client.on('message', (t, payload) => {
        if (t !== topic) return;
        if (received.length === 0) firstMessageMs = now() - start;
        received.push(payload.toString());
        if (received.length === MESSAGE_COUNT) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await client.subscribeAsync(topic, { qos: 1 });
    for (let n = 1; n <= MESSAGE_COUNT; n++) await client.publishAsync(topic, `Hello World! [${n}]`, { qos: 1 });
    await all;
    return { topic, received, firstMessageMs };
  } finally {
    // A failed close is reported, not swallowed; the run's own result (or error) still stands.
    await client
      .endAsync()
      .catch((err: unknown) =>
        console.error(`pubsub: closing the MQTT client of ${creds.thingName} failed: ${String(err)}`),
      );
  }
}
