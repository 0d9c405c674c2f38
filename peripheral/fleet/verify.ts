/**
 * Proof that the permanent certificate works: connected with it, subscribe to a topic the device
 * policy allows, publish a random nonce there and receive it back. Any refusal (SUBACK failure,
 * the broker dropping us for an unauthorized publish, no echo in time) is VERIFY_FAILED.
 */
import { randomUUID } from 'node:crypto';
import { mqtt5 } from 'aws-iot-device-sdk-v2';
import { ProvisioningError, sleep } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';

/** Subscribe + publish + echo must complete within this (ms). */
export const VERIFY_TIMEOUT_MS = 10_000;

function payloadText(payload: mqtt5.Payload | undefined): string {
  if (payload === undefined) return '';
  if (typeof payload === 'string') return payload;
  if (payload instanceof ArrayBuffer) return Buffer.from(payload).toString('utf8');
  if (ArrayBuffer.isView(payload))
    return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  return JSON.stringify(payload);
}

export async function verifyRoundTrip(
  client: mqtt5.Mqtt5Client,
  topic: string,
  timers: Timers,
  timeoutMs = VERIFY_TIMEOUT_MS,
): Promise<void> {
  const nonce = randomUUID();
  const timer = new AbortController();
  let onMessage: ((e: mqtt5.MessageReceivedEvent) => void) | undefined;
  let onDisconnect: (() => void) | undefined;
  const echoed = new Promise<void>((resolve, reject) => {
    onMessage = (e) => {
      if (e.message.topicName === topic && payloadText(e.message.payload) === nonce) resolve();
    };
    onDisconnect = () =>
      reject(
        new ProvisioningError('VERIFY_FAILED', {
          detail: `the broker closed the connection during the round trip on ${topic}`,
        }),
      );
    client.on('messageReceived', onMessage);
    client.on('disconnection', onDisconnect);
    sleep(timers, timeoutMs, timer.signal).then(
      () => reject(new ProvisioningError('VERIFY_FAILED', { detail: `no echo on ${topic} within ${timeoutMs} ms` })),
      () => undefined,
    );
  });
  // Raced and awaited below; this only keeps a rejection before then from counting as unhandled.
  echoed.catch(() => undefined);
  try {
    const suback = await client.subscribe({ subscriptions: [{ topicFilter: topic, qos: mqtt5.QoS.AtLeastOnce }] });
    const reason = suback.reasonCodes[0] ?? 0x80;
    if (reason >= 0x80)
      throw new ProvisioningError('VERIFY_FAILED', {
        detail: `subscription to ${topic} refused (reason 0x${reason.toString(16)})`,
      });
    await Promise.race([client.publish({ topicName: topic, qos: mqtt5.QoS.AtLeastOnce, payload: nonce }), echoed]);
    await echoed;
  } catch (err) {
    if (err instanceof ProvisioningError) throw err;
    throw new ProvisioningError('VERIFY_FAILED', { detail: `round trip on ${topic} failed`, cause: err });
  } finally {
    timer.abort();
    if (onMessage) client.off('messageReceived', onMessage);
    if (onDisconnect) client.off('disconnection', onDisconnect);
  }
}
