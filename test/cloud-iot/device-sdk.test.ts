/**
 * The unmodified aws-iot-device-sdk-v2 (aws-crt, native) against the emulator: the flow of AWS's
 * fleet_provisioning sample (IotIdentityClientv2) over MQTT 5 and MQTT 3.1.1, with both
 * CreateCertificateFromCsr and CreateKeysAndCertificate, then a reconnect with the new certificate.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, iotidentity, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { makeCsr, TEMPLATE_NAME, startIotFixture } from './fixture.js';
import type { IotFixture } from './fixture.js';

// The emulator's server certificate names 127.0.0.1 too: an address, so aws-c-io's resolver thread
// (which failed 'localhost' with AWS_IO_DNS_QUERY_FAILED on a loaded machine) is not involved.
const RR_OPTIONS = { maxRequestResponseSubscriptions: 4, maxStreamingSubscriptions: 2, operationTimeoutInSeconds: 10 };

async function connect5(fx: IotFixture, cert: string, key: string, clientId: string): Promise<mqtt5.Mqtt5Client> {
  const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory('127.0.0.1', cert, key)
    .withPort(fx.broker.port)
    .withCertificateAuthority(fx.ca.caCertPem)
    .withConnectProperties({ keepAliveIntervalSeconds: 60, clientId })
    .withSessionBehavior(mqtt5.ClientSessionBehavior.Clean)
    .build();
  const client = new mqtt5.Mqtt5Client(config);
  const connected = once(client, 'connectionSuccess');
  const failed = once(client, 'connectionFailure').then(([e]) => {
    throw new Error(`MQTT5 connection failed: ${String((e as { error?: unknown }).error)}`);
  });
  client.start();
  await Promise.race([connected, failed]);
  return client;
}

async function stop5(client: mqtt5.Mqtt5Client): Promise<void> {
  const stopped = once(client, 'stopped');
  client.stop();
  await stopped;
  client.close();
}

async function connect311(
  fx: IotFixture,
  cert: string,
  key: string,
  clientId: string,
): Promise<mqtt.MqttClientConnection> {
  const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(cert, key)
    .with_certificate_authority(fx.ca.caCertPem)
    .with_endpoint('127.0.0.1')
    .with_port(fx.broker.port)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(60)
    .build();
  const connection = new mqtt.MqttClient().new_connection(config);
  await connection.connect();
  return connection;
}

describe('aws-iot-device-sdk-v2 against the emulator', () => {
  let fx: IotFixture;
  beforeAll(async () => {
    fx = await startIotFixture();
  });
  afterAll(async () => fx.close());

  it('MQTT 5, CreateCertificateFromCsr + RegisterThing, then connects and round-trips with the new certificate', async () => {
    const claim = await fx.newClaim();
    const client = await connect5(fx, claim.cert, claim.key, 'sdk5-claim');
    const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(client, RR_OPTIONS);
    const { csrPem, keyPem } = await makeCsr('rsa', 'CN=sdk5-device');
    const created = await identity.createCertificateFromCsr({ certificateSigningRequest: csrPem });
    expect(created.certificateId).toMatch(/^[0-9a-f]{64}$/);
    const registered = await identity.registerThing({
      templateName: TEMPLATE_NAME,
      certificateOwnershipToken: created.certificateOwnershipToken as string,
      parameters: { SerialNumber: 'sdk5' },
    });
    expect(registered).toEqual({
      deviceConfiguration: { FallbackUrl: 'https://www.example.com/test-site', Location: 'Seattle' },
      thingName: 'mything_sdk5',
    });

    // A second RegisterThing with the spent token is rejected with AWS's error shape.
    const err = await identity
      .registerThing({
        templateName: TEMPLATE_NAME,
        certificateOwnershipToken: created.certificateOwnershipToken as string,
        parameters: { SerialNumber: 'sdk5' },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ modeledError: { statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken' } });
    identity.close();
    await stop5(client);

    const device = await connect5(fx, created.certificatePem as string, keyPem, 'mything_sdk5');
    await device.subscribe({
      subscriptions: [{ topicFilter: 'device/mything_sdk5/hello', qos: mqtt5.QoS.AtLeastOnce }],
    });
    const received = once(device, 'messageReceived');
    await device.publish({ topicName: 'device/mything_sdk5/hello', qos: mqtt5.QoS.AtLeastOnce, payload: 'hi' });
    const [event] = (await received) as [mqtt5.MessageReceivedEvent];
    expect(Buffer.from(event.message.payload as ArrayBuffer).toString()).toBe('hi');
    await stop5(device);
  });

  it('MQTT 3.1.1, CreateKeysAndCertificate + RegisterThing, then connects with the new certificate', async () => {
    const claim = await fx.newClaim();
    const connection = await connect311(fx, claim.cert, claim.key, 'sdk311-claim');
    const identity = iotidentity.IotIdentityClientv2.newFromMqtt311(connection, RR_OPTIONS);
    const created = await identity.createKeysAndCertificate({});
    expect(created.privateKey).toContain('PRIVATE KEY');
    const registered = await identity.registerThing({
      templateName: TEMPLATE_NAME,
      certificateOwnershipToken: created.certificateOwnershipToken as string,
      parameters: { SerialNumber: 'sdk311', DeviceLocation: 'Lyon' },
    });
    expect(registered.thingName).toBe('mything_sdk311');
    expect(fx.registry.things.get('mything_sdk311')?.attributes.location).toBe('Lyon');
    identity.close();
    await connection.disconnect();

    const device = await connect311(
      fx,
      created.certificatePem as string,
      created.privateKey as string,
      'mything_sdk311',
    );
    const got = new Promise<string>((resolve) => {
      void device.subscribe('device/mything_sdk311/t', mqtt.QoS.AtLeastOnce, (_topic, payload) =>
        resolve(Buffer.from(payload).toString()),
      );
    });
    await device.publish('device/mything_sdk311/t', 'yo', mqtt.QoS.AtLeastOnce);
    expect(await got).toBe('yo');
    await device.disconnect();
  });
});
