import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { claimMayPublish, claimMaySubscribe, isFleetTopic, parseFleetRequestTopic } from './fleet/topics.js';
import { topicLimitViolation } from './limits.js';
import { peekProtocolLevel } from './mqtt5-bridge.js';
import { packetRefusal } from './packet-policy.js';
import { PacketSizeGuard } from './packet-size.js';
import { topicMatches } from './topic-match.js';

describe('fleet-provisioning topics', () => {
  it('parses request topics and nothing else', () => {
    expect(parseFleetRequestTopic('$aws/certificates/create/json')).toMatchObject({
      operation: 'CreateKeysAndCertificate',
      format: 'json',
    });
    expect(parseFleetRequestTopic('$aws/certificates/create-from-csr/cbor')).toMatchObject({
      operation: 'CreateCertificateFromCsr',
      format: 'cbor',
    });
    expect(parseFleetRequestTopic('$aws/provisioning-templates/T-1/provision/json')).toMatchObject({
      operation: 'RegisterThing',
      templateName: 'T-1',
    });
    expect(parseFleetRequestTopic('$aws/certificates/create/xml')).toBeUndefined();
    expect(parseFleetRequestTopic('$aws/certificates/create/json/accepted')).toBeUndefined();
    expect(isFleetTopic('$aws/certificates/create/json/accepted')).toBe(true);
    expect(isFleetTopic('$aws/things/x/shadow/update')).toBe(false);
  });

  it('limits a claim to its own template', () => {
    expect(claimMayPublish('$aws/provisioning-templates/T/provision/json', 'T')).toBe(true);
    expect(claimMayPublish('$aws/provisioning-templates/U/provision/json', 'T')).toBe(false);
    expect(claimMayPublish('$aws/certificates/create/cbor', 'T')).toBe(true);
    expect(claimMaySubscribe('$aws/provisioning-templates/T/provision/json/+', 'T')).toBe(true);
    expect(claimMaySubscribe('$aws/provisioning-templates/T.x/provision/json/accepted', 'T')).toBe(false);
    expect(claimMaySubscribe('$aws/#', 'T')).toBe(false);
  });
});

describe('broker helpers', () => {
  it('matches MQTT filters, not letting wildcards reach $ topics', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('#', '$aws/x')).toBe(false);
    expect(topicMatches('$aws/certificates/create/json/+', '$aws/certificates/create/json/accepted')).toBe(true);
  });

  it('applies AWS topic limits', () => {
    expect(topicLimitViolation('a/b/c/d/e/f/g/h')).toBeUndefined();
    expect(topicLimitViolation('a/b/c/d/e/f/g/h/i')).toMatch(/7 forward slashes/);
    expect(topicLimitViolation('é'.repeat(129))).toMatch(/256 bytes/);
  });

  it('reads the protocol level of a CONNECT, waiting for enough bytes', () => {
    for (const protocolVersion of [3, 4, 5] as const) {
      const bytes = mqttPacket.generate({
        cmd: 'connect',
        protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion,
        clientId: 'x'.repeat(300),
        clean: true,
        keepalive: 60,
      });
      expect(peekProtocolLevel(bytes)).toBe(protocolVersion);
      expect(peekProtocolLevel(bytes.subarray(0, 4))).toBeUndefined();
    }
  });
});

describe('PacketSizeGuard', () => {
  const header = (remaining: number): Buffer => {
    const out = [0x30];
    let n = remaining;
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      out.push(b);
    } while (n > 0);
    return Buffer.from(out);
  };

  it('passes packets up to the limit across chunk boundaries and refuses a larger one at its header', () => {
    const limit = 1000;
    const g = new PacketSizeGuard(limit);
    const fits = Buffer.concat([header(limit - 3), Buffer.alloc(limit - 3)]); // 1 + 2 + 997 bytes
    expect(fits.length).toBe(limit);
    for (let i = 0; i < fits.length; i += 7) expect(g.check(fits.subarray(i, i + 7))).toBeUndefined();
    // The next packet declares one byte too many: refused on its second length byte, no body needed.
    const over = header(limit - 2);
    expect(g.check(over.subarray(0, 1))).toBeUndefined();
    expect(g.check(over.subarray(1))).toEqual({ kind: 'too-large', packetBytes: limit + 1 });
  });

  it('refuses a remaining length longer than 4 bytes', () => {
    expect(
      new PacketSizeGuard(Number.MAX_SAFE_INTEGER).check(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])),
    ).toEqual({ kind: 'malformed' });
  });
});

describe('packetRefusal', () => {
  it('counts distinct filters per connection and frees unsubscribed ones', () => {
    const subscribed = new Set<string>();
    const sub = (topics: string[], qos: 0 | 1 | 2 = 1): ReturnType<typeof packetRefusal> =>
      packetRefusal(
        { cmd: 'subscribe', messageId: 1, subscriptions: topics.map((topic) => ({ topic, qos })) },
        subscribed,
      );
    expect(sub(['a', 'b'])).toBeUndefined();
    expect(sub(['a'])).toBeUndefined();
    expect(subscribed.size).toBe(2);
    expect(sub(Array.from({ length: 9 }, (_, i) => `n${i}`))?.reason).toBe(0x97);
    expect(sub(['q'], 2)?.reason).toBe(0x9b);
    expect(sub(Array.from({ length: 48 }, (_, i) => `m${i}`).slice(0, 8))).toBeUndefined();
    packetRefusal({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['a'] }, subscribed);
    expect(subscribed.has('a')).toBe(false);
    expect(
      packetRefusal(
        { cmd: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 2, dup: false, retain: false, messageId: 3 },
        subscribed,
      )?.reason,
    ).toBe(0x9b);
  });
});
