import { X509Certificate } from 'node:crypto';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, makeCsr, request, startIotFixture, TEMPLATE_NAME } from './fixture.js';
import type { IotFixture } from './fixture.js';

describe('fleet provisioning over raw MQTT (mqtt.js)', () => {
  let fx: IotFixture;
  beforeAll(async () => {
    fx = await startIotFixture();
  });
  afterAll(async () => fx.close());

  for (const protocolVersion of [4, 5] as const) {
    it(`CSR flow in JSON over MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}: claim → CreateCertificateFromCsr → RegisterThing → reconnect`, async () => {
      const claim = await fx.newClaim();
      const c = await fx.connect(claim, { clientId: `claim-${protocolVersion}`, protocolVersion });
      const { csrPem, keyPem } = await makeCsr('ec');
      const created = await request(
        c,
        '$aws/certificates/create-from-csr/json',
        JSON.stringify({ certificateSigningRequest: csrPem }),
      );
      expect(created.outcome).toBe('accepted');
      const cert = JSON.parse(created.payload.toString()) as {
        certificateId: string;
        certificatePem: string;
        certificateOwnershipToken: string;
      };
      expect(cert.certificateId).toMatch(/^[0-9a-f]{64}$/);
      expect(fx.registry.certificates.get(cert.certificateId)?.status).toBe('PENDING_ACTIVATION');
      expect(new X509Certificate(cert.certificatePem).checkIssued(new X509Certificate(fx.ca.caCertPem))).toBe(true);

      const serial = `sn${protocolVersion}`;
      const reg = await request(
        c,
        `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
        JSON.stringify({
          certificateOwnershipToken: cert.certificateOwnershipToken,
          parameters: { SerialNumber: serial },
        }),
      );
      expect(JSON.parse(reg.payload.toString())).toEqual({
        deviceConfiguration: { FallbackUrl: 'https://www.example.com/test-site', Location: 'Seattle' },
        thingName: `mything_${serial}`,
      });
      expect(reg.outcome).toBe('accepted');
      expect(fx.registry.certificates.get(cert.certificateId)?.status).toBe('ACTIVE');
      expect(fx.registry.things.get(`mything_${serial}`)?.attributes).toEqual({
        version: 'v1',
        serialNumber: serial,
        location: 'Seattle',
      });
      c.end();

      // The single-use token is spent.
      const c2 = await fx.connect(claim, { clientId: `claim-${protocolVersion}-again`, protocolVersion });
      const again = await request(
        c2,
        `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json`,
        JSON.stringify({
          certificateOwnershipToken: cert.certificateOwnershipToken,
          parameters: { SerialNumber: serial },
        }),
      );
      expect(again.outcome).toBe('rejected');
      expect(JSON.parse(again.payload.toString())).toMatchObject({
        statusCode: 400,
        errorCode: 'InvalidCertificateOwnershipToken',
      });
      c2.end();

      // The permanent certificate works under the device policy: own client id and topics only.
      const device = await fx.connect(
        { certificateId: cert.certificateId, cert: cert.certificatePem, key: keyPem },
        { clientId: `mything_${serial}`, protocolVersion },
      );
      await device.subscribeAsync(`device/mything_${serial}/echo`, { qos: 1 });
      const echoed = new Promise<string>((resolve) => device.once('message', (_t, p: Buffer) => resolve(p.toString())));
      await device.publishAsync(`device/mything_${serial}/echo`, 'ping', { qos: 1 });
      expect(await echoed).toBe('ping');
      await expect(device.subscribeAsync(`device/someone-else/echo`, { qos: 1 })).rejects.toThrow(
        protocolVersion === 5 ? /Not authorized/ : /Unspecified error/,
      );
      device.end();
      await expect(
        fx.connect(
          { certificateId: cert.certificateId, cert: cert.certificatePem, key: keyPem },
          { clientId: 'not-my-thing', protocolVersion },
        ),
      ).rejects.toThrow(/Not authorized|Connection refused/i);
    });
  }

  it('CreateKeysAndCertificate in CBOR', async () => {
    const claim = await fx.newClaim();
    const c = await fx.connect(claim, { clientId: 'claim-cbor' });
    const created = await request(c, '$aws/certificates/create/cbor', Buffer.from(cborEncode({})));
    expect(created.outcome).toBe('accepted');
    const body = cborDecode(created.payload) as {
      certificateId: string;
      certificatePem: string;
      privateKey: string;
      certificateOwnershipToken: string;
    };
    expect(body.privateKey).toContain('PRIVATE KEY');
    const reg = await request(
      c,
      `$aws/provisioning-templates/${TEMPLATE_NAME}/provision/cbor`,
      Buffer.from(
        cborEncode({
          certificateOwnershipToken: body.certificateOwnershipToken,
          parameters: { SerialNumber: 'cbor1', DeviceLocation: 'Berlin' },
        }),
      ),
    );
    expect(cborDecode(reg.payload)).toEqual({
      deviceConfiguration: { FallbackUrl: 'https://www.example.com/test-site', Location: 'Berlin' },
      thingName: 'mything_cbor1',
    });
    c.end();
  });

  it('answers only on the requesting connection', async () => {
    const a = await fx.connect(await fx.newClaim(), { clientId: 'claim-a' });
    const b = await fx.connect(await fx.newClaim(), { clientId: 'claim-b' });
    await b.subscribeAsync([
      '$aws/certificates/create-from-csr/json/accepted',
      '$aws/certificates/create-from-csr/json/rejected',
    ]);
    const seenByB: string[] = [];
    b.on('message', (t) => seenByB.push(t));
    const { csrPem } = await makeCsr('rsa');
    const r = await request(
      a,
      '$aws/certificates/create-from-csr/json',
      JSON.stringify({ certificateSigningRequest: csrPem }),
    );
    expect(r.outcome).toBe('accepted');
    // A round trip on b after a's reply proves b had its chance to receive it.
    const bad = await request(
      b,
      '$aws/certificates/create-from-csr/json',
      JSON.stringify({ certificateSigningRequest: 'garbage' }),
    );
    expect(JSON.parse(bad.payload.toString())).toMatchObject({ statusCode: 400, errorCode: 'InvalidCsr' });
    expect(seenByB).toEqual(['$aws/certificates/create-from-csr/json/rejected']);
    a.end();
    b.end();
  });

  it('never forwards API requests or replies, even to a client whose policy allows everything', async () => {
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
    const spy = await fx.connect(
      { certificateId: issued.certificateId, cert: issued.certificatePem, key: issued.keyPair.PrivateKey },
      { clientId: 'spy', protocolVersion: 5 },
    );
    await spy.subscribeAsync(['$aws/certificates/#', '$aws/provisioning-templates/#'], { qos: 1 });
    const seen: string[] = [];
    spy.on('message', (t) => seen.push(t));
    const c = await fx.connect(await fx.newClaim(), { clientId: 'claim-watched' });
    const created = await request(c, '$aws/certificates/create/json', '{}');
    expect(created.outcome).toBe('accepted');
    // The spy's own request proves its connection is live and that its reply reaches it alone.
    const own = await request(spy, '$aws/certificates/create/json', '{}');
    expect(own.outcome).toBe('accepted');
    expect(seen).toEqual(['$aws/certificates/create/json/accepted']);
    c.end();
    // AWS topic limits: at most 7 slashes, 256 bytes.
    expect((await spy.subscribeAsync('a/b/c/d/e/f/g/h', { qos: 1 }))[0]?.qos).toBe(1);
    await expect(spy.subscribeAsync('a/b/c/d/e/f/g/h/i', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await expect(spy.subscribeAsync('x'.repeat(257), { qos: 1 })).rejects.toThrow(/Not authorized/);
    const gone = closed(spy);
    spy.publish('a/b/c/d/e/f/g/h/i', 'too deep');
    await gone;
  });

  it('substitutes certificate policy variables', async () => {
    const { csrPem, keyPem } = await makeCsr('ec', 'CN=sensor-7, O=Acme');
    const issued = await fx.ca.issueCertificate({ csrPem, validity: { notAfter: new Date(Date.now() + 3600_000) } });
    const rec = fx.registry.certificates.insert({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: 'ACTIVE',
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
    });
    fx.registry.policies.create(
      'by-cn',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: 'arn:aws:iot:us-east-1:123456789012:client/${iot:Certificate.Subject.CommonName}',
          },
          {
            Effect: 'Allow',
            Action: 'iot:Subscribe',
            Resource: 'arn:aws:iot:us-east-1:123456789012:topicfilter/${iot:Certificate.Subject.Organization}/*',
          },
        ],
      }),
    );
    fx.registry.policies.attach('by-cn', rec.certificateArn);
    const creds = { certificateId: issued.certificateId, cert: issued.certificatePem, key: keyPem };
    await expect(fx.connect(creds, { clientId: 'sensor-8' })).rejects.toThrow(/Not authorized/i);
    const c = await fx.connect(creds, { clientId: 'sensor-7' });
    expect((await c.subscribeAsync('Acme/x', { qos: 1 }))[0]?.qos).toBe(1);
    await expect(c.subscribeAsync('Other/x', { qos: 1 })).rejects.toThrow(/Unspecified error/);
    c.end();
  });

  it('tolerates ALPN x-amzn-mqtt-ca', async () => {
    const claim = await fx.newClaim();
    const c = await fx.connect(claim, { clientId: 'claim-alpn', ALPNProtocols: ['x-amzn-mqtt-ca'] });
    const r = await request(c, '$aws/certificates/create/json', '{}');
    expect(r.outcome).toBe('accepted');
    expect((c.stream as unknown as { alpnProtocol?: string }).alpnProtocol).toBe('x-amzn-mqtt-ca');
    c.end();
  });

  it('keeps a claim to its own template topics', async () => {
    const c = await fx.connect(await fx.newClaim(), { clientId: 'claim-narrow' });
    await expect(c.subscribeAsync('$aws/provisioning-templates/OtherTemplate/provision/json/accepted')).rejects.toThrow(
      /Unspecified error/,
    );
    await expect(c.subscribeAsync('device/x/y')).rejects.toThrow(/Unspecified error/);
    const granted = await c.subscribeAsync(
      [`$aws/provisioning-templates/${TEMPLATE_NAME}/provision/json/+`, '$aws/certificates/create/cbor/#'],
      { qos: 1 },
    );
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    const gone = closed(c);
    c.publish('$aws/provisioning-templates/OtherTemplate/provision/json', '{}');
    await gone;
    const c2 = await fx.connect(await fx.newClaim(), { clientId: 'claim-narrow-2' });
    const gone2 = closed(c2);
    c2.publish('device/anything', 'x');
    await gone2;
  });

  it('refuses an expired claim and disconnects a claim when it expires', async () => {
    const claim = await fx.newClaim();
    const c = await fx.connect(claim, { clientId: 'claim-expiring' });
    const gone = closed(c);
    fx.clock.now = new Date(fx.clock.now.getTime() + 5 * 60_000 + 1);
    await gone;
    await expect(fx.connect(claim, { clientId: 'claim-expired' })).rejects.toThrow(/Not authorized/i);
    fx.clock.now = new Date();
  });

  it('refuses a certificate set INACTIVE and disconnects its connections', async () => {
    const claim = await fx.newClaim();
    const c = await fx.connect(claim, { clientId: 'claim-inactive' });
    const gone = closed(c);
    fx.registry.certificates.updateStatus(claim.certificateId, 'INACTIVE');
    expect(fx.broker.disconnectCertificate(claim.certificateId)).toBe(1);
    await gone;
    await expect(fx.connect(claim, { clientId: 'claim-inactive-2' })).rejects.toThrow(/Not authorized/i);
  });

  it('tells an MQTT 5 client why it is disconnected', async () => {
    const claim = await fx.newClaim();
    const reasonOf = (client: MqttClient): Promise<number | undefined> =>
      new Promise((resolve) => client.once('disconnect', (packet) => resolve(packet.reasonCode)));
    const big = await fx.connect(claim, { clientId: 'v5-big', protocolVersion: 5 });
    const bigReason = reasonOf(big);
    big.publish('$aws/certificates/create/json', Buffer.alloc(128 * 1024 + 1));
    expect(await bigReason).toBe(0x95);
    const first = await fx.connect(claim, { clientId: 'v5-dup', protocolVersion: 5 });
    const firstReason = reasonOf(first);
    const second = await fx.connect(claim, { clientId: 'v5-dup', protocolVersion: 5 });
    expect(await firstReason).toBe(0x8e);
    const wrong = reasonOf(second);
    second.publish('device/not-for-claims', 'x');
    expect(await wrong).toBe(0x87);
  });

  it('disconnects on an oversize payload and on a duplicate client id', async () => {
    const claim = await fx.newClaim();
    const c = await fx.connect(claim, { clientId: 'claim-big' });
    const gone = closed(c);
    c.publish('$aws/certificates/create/json', Buffer.alloc(128 * 1024 + 1));
    await gone;
    const first = await fx.connect(claim, { clientId: 'dup' });
    const firstGone = closed(first);
    const second = await fx.connect(claim, { clientId: 'dup' });
    await firstGone;
    expect(second.connected).toBe(true);
    second.end();
  });

  it('rejects a client id longer than 128 bytes and unknown certificates at the TLS layer', async () => {
    const claim = await fx.newClaim();
    await expect(fx.connect(claim, { clientId: 'x'.repeat(129) })).rejects.toThrow(
      /Identifier rejected|Connection refused/i,
    );
    const { EmulatorCa } = await import('../../cloud/emulator/ca/index.js');
    const other = await EmulatorCa.openOrCreate(`${fx.dir}/other-ca`);
    const foreign = await other.createKeyPairAndCertificate({
      validity: { notAfter: new Date(Date.now() + 3600_000) },
    });
    await expect(
      fx.connect(
        { certificateId: foreign.certificateId, cert: foreign.certificatePem, key: foreign.keyPair.PrivateKey },
        { clientId: 'foreign' },
      ),
    ).rejects.toThrow();
  });
});
