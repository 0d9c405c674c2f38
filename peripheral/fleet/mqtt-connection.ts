/**
 * Connecting to AWS IoT (or the emulator) with aws-iot-device-sdk-v2 over MQTT 5 and mutual TLS,
 * and translating the SDK's failures into the product's codes once, here:
 * - a CONNACK with a failure reason (e.g. 0x87 not authorized) → CLOUD_CONNECT_REFUSED;
 * - a TLS handshake failure (the broker refused our certificate, or we refused its CA, or the
 *   connection was reset mid-handshake: the SDK cannot tell them apart) → CLOUD_CONNECT_REFUSED,
 *   retried a few times (retry.ts, AMBIGUOUS_REFUSAL_ATTEMPTS);
 * - anything else before CONNACK (connection refused, DNS, socket timeout) → CLOUD_UNREACHABLE;
 * - no answer within the connect timeout → CLOUD_TIMEOUT.
 * The SDK's own reconnect loop is not used: the client is stopped after the first failure and the
 * caller's back-off decides (see retry.ts).
 */
import { iot, mqtt5 } from 'aws-iot-device-sdk-v2';
import { ProvisioningError, sleep } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';
import { ambiguousRefusal } from './retry.js';

/** Whole connect (TCP + TLS + CONNACK) must finish within this (ms). */
export const CONNECT_TIMEOUT_MS = 15_000;
/** MQTT keep-alive asked of the broker (s). */
export const KEEP_ALIVE_SECONDS = 60;

export interface MqttEndpoint {
  host: string;
  port: number;
}

export interface MtlsConnectOptions {
  endpoint: MqttEndpoint;
  /** PEM of the CA that signed the endpoint's server certificate (Amazon Root CA 1, or the emulator's). */
  caPem: string;
  certificatePem: string;
  privateKeyPem: string;
  clientId: string;
  timers: Timers;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface CrtLikeError {
  error_name?: string;
  message?: string;
}

export function connectFailureError(event: mqtt5.ConnectionFailureEvent): ProvisioningError {
  // MQTT 5 §3.2.2.2: a CONNACK reason code of 0x80 or more is a failure.
  const reason: number | undefined = event.connack?.reasonCode;
  if (reason !== undefined && reason >= 0x80) {
    const text = event.connack?.reasonString ? ` ${event.connack.reasonString}` : '';
    return new ProvisioningError('CLOUD_CONNECT_REFUSED', { detail: `CONNACK reason 0x${reason.toString(16)}${text}` });
  }
  const name = (event.error as CrtLikeError | undefined)?.error_name ?? 'unknown';
  if (name.includes('TLS'))
    return ambiguousRefusal(
      new ProvisioningError('CLOUD_CONNECT_REFUSED', { detail: `TLS handshake failed (${name})` }),
    );
  return new ProvisioningError('CLOUD_UNREACHABLE', { detail: `AWS IoT MQTT endpoint: ${name}` });
}

/** Stops and releases a client; safe to call on a client that never connected. */
export async function closeClient(client: mqtt5.Mqtt5Client): Promise<void> {
  await new Promise<void>((resolve) => {
    client.once('stopped', () => resolve());
    try {
      client.stop();
    } catch {
      resolve();
    }
  });
  client.close();
}

export async function connectMtls(options: MtlsConnectOptions): Promise<mqtt5.Mqtt5Client> {
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(
    options.endpoint.host,
    options.certificatePem,
    options.privateKeyPem,
  )
    .withPort(options.endpoint.port)
    .withCertificateAuthority(options.caPem)
    .withConnectProperties({ keepAliveIntervalSeconds: KEEP_ALIVE_SECONDS, clientId: options.clientId })
    .withSessionBehavior(mqtt5.ClientSessionBehavior.Clean)
    .withConnackTimeoutMs(timeoutMs)
    .build();
  const client = new mqtt5.Mqtt5Client(config);
  const timer = new AbortController();
  let onAbort: (() => void) | undefined;
  const outcome = new Promise<ProvisioningError | undefined>((resolve) => {
    client.once('connectionSuccess', () => resolve(undefined));
    client.once('connectionFailure', (event: mqtt5.ConnectionFailureEvent) => resolve(connectFailureError(event)));
    sleep(options.timers, timeoutMs, timer.signal).then(
      () => resolve(new ProvisioningError('CLOUD_TIMEOUT', { detail: `no CONNACK within ${timeoutMs} ms` })),
      () => undefined,
    );
    onAbort = () => resolve(new ProvisioningError('ABORTED'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  client.start();
  const failure = await outcome;
  timer.abort();
  if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  if (failure) {
    await closeClient(client);
    throw failure;
  }
  return client;
}
