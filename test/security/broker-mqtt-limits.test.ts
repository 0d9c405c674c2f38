/**
 * Attacks (issues #14, #16) on AWS IoT's MQTT limits, each answered as AWS answers it:
 * unlimited subscriptions (AWS: 50 per connection, 8 filters per SUBSCRIBE; more disconnect),
 * QoS 2 granted in SUBACK (AWS sends no SUBACK/PUBACK for QoS 2 and closes the connection), a
 * claim's retained publish accepted (a claim has no iot:RetainPublish), and an expired claim that
 * got no CONNACK on MQTT 5 (it gets CONNACK 0x87, as the README says).
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, startIotFixture } from '../cloud-iot/fixture.js';
import type { Credentials, IotFixture } from '../cloud-iot/fixture.js';

const filters = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}/${i}`);
const reasonOf = (client: MqttClient): Promise<number | undefined> =>
  new Promise((resolve) => client.once('disconnect', (packet) => resolve(packet.reasonCode)));

describe('AWS IoT MQTT limits', () => {
  let fx: IotFixture;
  let app: Credentials;
  const logged: string[] = [];
  beforeAll(async () => {
    fx = await startIotFixture({ broker: { log: (l) => logged.push(l) } });
    const issued = await fx.ca.createKeyPairAndCertificate({ validity: { notAfter: new Date(Date.now() + 3600_000) } });
    const rec = fx.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'ACTIVE',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    fx.registry.policies.create(
      'allow-all',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }),
    );
    fx.registry.policies.attach('allow-all', rec.certificateArn);
    app = { certificateId: issued.certificateId, cert: issued.certificatePem, key: issued.keyPair.PrivateKey };
  });
  afterAll(async () => fx.close());

  it('allows 50 subscriptions per connection in SUBSCRIBEs of 8, disconnects on the 51st, frees them on disconnect', async () => {
    for (let round = 0; round < 2; round++) {
      const c = await fx.connect(app, { clientId: 'many-subs' });
      const all = filters('s', 50);
      for (let i = 0; i < all.length; i += 8) {
        const granted = await c.subscribeAsync(all.slice(i, i + 8), { qos: 1 });
        expect(granted.every((g) => g.qos === 1)).toBe(true);
      }
      // Re-subscribing to a held filter is no new subscription.
      expect((await c.subscribeAsync('s/0', { qos: 0 }))[0]?.qos).toBe(0);
      const gone = closed(c);
      c.subscribe('s/50', { qos: 1 });
      await gone;
      // Round 2 on the same client id proves the 50 of round 1 were freed with the connection.
    }
    expect(logged.some((l) => l.includes('more than 50 subscriptions'))).toBe(true);
  });

  it('disconnects a SUBSCRIBE with more than 8 topic filters without a SUBACK (MQTT 5: 0x97)', async () => {
    const c = await fx.connect(app, { clientId: 'nine-3' });
    const gone = closed(c);
    let subacked = false;
    c.subscribe(filters('n', 9), { qos: 1 }, () => (subacked = true));
    await gone;
    expect(subacked).toBe(false);
    const v5 = await fx.connect(app, { clientId: 'nine-5', protocolVersion: 5 });
    const reason = reasonOf(v5);
    v5.subscribe(filters('n', 9), { qos: 1 });
    expect(await reason).toBe(0x97);
  });

  it('answers QoS 2 as AWS does: no SUBACK or PUBACK, the connection is closed (MQTT 5: 0x9B)', async () => {
    const sub = await fx.connect(app, { clientId: 'qos2-sub' });
    const subGone = closed(sub);
    let granted: number | undefined;
    sub.subscribe('q/x', { qos: 2 }, (_e, g) => (granted = g?.[0]?.qos));
    await subGone;
    expect(granted).toBeUndefined();
    const pub = await fx.connect(app, { clientId: 'qos2-pub' });
    const pubGone = closed(pub);
    pub.publish('q/x', 'exactly once', { qos: 2 });
    await pubGone;
    const v5 = await fx.connect(app, { clientId: 'qos2-v5', protocolVersion: 5 });
    const reason = reasonOf(v5);
    v5.publish('q/x', 'exactly once', { qos: 2 });
    expect(await reason).toBe(0x9b);
  });

  it('refuses a claim’s retained publish on the fleet API (no iot:RetainPublish) and serves nothing', async () => {
    const c = await fx.connect(await fx.newClaim(), { clientId: 'claim-retain' });
    await c.subscribeAsync(['$aws/certificates/create/json/accepted', '$aws/certificates/create/json/rejected'], {
      qos: 1,
    });
    const replies: string[] = [];
    c.on('message', (t) => replies.push(t));
    const gone = closed(c);
    c.publish('$aws/certificates/create/json', '{}', { qos: 1, retain: true });
    await gone;
    expect(replies).toEqual([]);
  });

  it('sends an expired claim CONNACK "not authorized" on MQTT 3.1.1 and 0x87 on MQTT 5', async () => {
    const claim = await fx.newClaim();
    fx.clock.now = new Date(fx.clock.now.getTime() + 5 * 60_000 + 1);
    try {
      await expect(fx.connect(claim, { clientId: 'expired-3' })).rejects.toThrow(/Not authorized/i);
      for (let i = 0; i < 3; i++) {
        await expect(fx.connect(claim, { clientId: `expired-5-${i}`, protocolVersion: 5 })).rejects.toThrow(
          /Not authorized/i,
        );
      }
    } finally {
      fx.clock.now = new Date();
    }
  });

  it('refuses a certificate past its X.509 validity in the TLS handshake, before any CONNACK (as AWS does)', async () => {
    const issued = await fx.ca.createKeyPairAndCertificate({
      validity: { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) },
    });
    fx.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'ACTIVE',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    const attempt = fx.connect(
      { certificateId: issued.certificateId, cert: issued.certificatePem, key: issued.keyPair.PrivateKey },
      { clientId: 'x509-expired' },
    );
    await expect(attempt).rejects.toThrow(/certificate expired|closed before CONNACK|socket hang up|ECONNRESET/i);
  });
});

describe('subscriptions are freed with their session', () => {
  let fx: IotFixture;
  let app: Credentials;
  beforeAll(async () => {
    fx = await startIotFixture({ broker: { log: () => undefined, sessionExpiryMs: 200 } });
    const issued = await fx.ca.createKeyPairAndCertificate({ validity: { notAfter: new Date(Date.now() + 3600_000) } });
    const rec = fx.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'ACTIVE',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    fx.registry.policies.create(
      'allow-all',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }),
    );
    fx.registry.policies.attach('allow-all', rec.certificateArn);
    app = { certificateId: issued.certificateId, cert: issued.certificatePem, key: issued.keyPair.PrivateKey };
  });
  afterAll(async () => fx.close());

  /** Resolves once the broker's session store holds `n` subscriptions (the test's timeout bounds it). */
  async function storedReaches(n: number): Promise<number> {
    for (;;) {
      const count = await fx.broker.storedSubscriptions();
      if (count === n) return count;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('frees a persistent session’s subscriptions when the session expires (clean ones are never stored)', async () => {
    const c = await fx.connect(app, { clientId: 'session-persistent', clean: false });
    for (let i = 0; i < 50; i += 8) await c.subscribeAsync(filters('p', 50).slice(i, i + 8), { qos: 1 });
    expect(await storedReaches(50)).toBe(50);
    await new Promise<void>((r) => c.end(false, {}, () => r()));
    // AWS keeps it 1 hour after the disconnect; 200 ms injected here.
    expect(await storedReaches(0)).toBe(0);
  }, 60_000);
});
