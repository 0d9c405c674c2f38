/**
 * Attack (issue #14): a claim connected with a provisioned thing's name as client id and took the
 * device's session over (reconnecting once a second kept the device offline 92 % of the time). A
 * claim CONNECT with a registered thing name is refused, with the reason logged, and the device
 * stays connected. The product's device policy ("pubsub", cloud/deploy/documents.ts) lets a
 * certificate connect only as the thing it is attached to.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAllowed } from '../../cloud/emulator/policy/index.js';
import type { PolicyDocument } from '../../cloud/emulator/contracts/index.js';
import { devicePolicyDocument } from '../../cloud/deploy/documents.js';
import { DEVICE_POLICY, startIotFixture } from '../cloud-iot/fixture.js';
import type { Credentials, IotFixture } from '../cloud-iot/fixture.js';

const THING = 'mything_kick1';

describe('a claim cannot take a provisioned thing’s client id', () => {
  let fx: IotFixture;
  const logged: string[] = [];
  let device: Credentials;
  beforeAll(async () => {
    fx = await startIotFixture({ broker: { log: (line) => logged.push(line) } });
    const issued = await fx.ca.createKeyPairAndCertificate({ validity: { notAfter: new Date(Date.now() + 3600_000) } });
    const rec = fx.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'ACTIVE',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    fx.registry.things.create({ thingName: THING });
    fx.registry.things.attachPrincipal(THING, rec.certificateArn);
    fx.registry.policies.attach(DEVICE_POLICY, rec.certificateArn);
    device = { certificateId: issued.certificateId, cert: issued.certificatePem, key: issued.keyPair.PrivateKey };
  });
  afterAll(async () => fx.close());

  for (const protocolVersion of [4, 5] as const) {
    it(`refuses the claim's CONNECT and keeps the device online (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'})`, async () => {
      const online: MqttClient = await fx.connect(device, { clientId: THING, protocolVersion });
      let kicked = false;
      online.on('close', () => (kicked = true));
      const claim = await fx.newClaim();
      for (let i = 0; i < 3; i++) {
        await expect(fx.connect(claim, { clientId: THING, protocolVersion })).rejects.toThrow(/Not authorized/i);
      }
      // A round trip on the device after the attempts proves the broker kept its session.
      await online.subscribeAsync(`device/${THING}/echo`, { qos: 1 });
      const echoed = new Promise<string>((resolve) => online.once('message', (_t, p: Buffer) => resolve(p.toString())));
      await online.publishAsync(`device/${THING}/echo`, 'still here', { qos: 1 });
      expect(await echoed).toBe('still here');
      expect(kicked).toBe(false);
      expect(online.connected).toBe(true);
      expect(logged.some((l) => l.includes(JSON.stringify(THING)) && l.includes('registered thing name'))).toBe(true);
      online.end();
      // The claim still provisions under any other client id.
      const ok = await fx.connect(claim, { clientId: `claim-${protocolVersion}` });
      ok.end();
    });
  }

  it('the product device policy allows iot:Connect only as the attached thing', () => {
    const account = { region: 'us-east-1', accountId: '123456789012' };
    const doc = devicePolicyDocument(account) as unknown as PolicyDocument;
    const connect = (clientId: string, variables: Record<string, string>): boolean =>
      isAllowed([doc], {
        action: 'iot:Connect',
        resource: `arn:aws:iot:us-east-1:123456789012:client/${clientId}`,
        variables: { 'iot:ClientId': clientId, ...variables },
      });
    expect(connect(THING, { 'iot:Connection.Thing.ThingName': THING, 'iot:Connection.Thing.IsAttached': 'true' })).toBe(
      true,
    );
    expect(connect('other', { 'iot:Connection.Thing.IsAttached': 'false' })).toBe(false);
    // Even were the thing name variable set, a connection not attached to the thing is refused.
    expect(
      connect(THING, { 'iot:Connection.Thing.ThingName': THING, 'iot:Connection.Thing.IsAttached': 'false' }),
    ).toBe(false);
  });
});
