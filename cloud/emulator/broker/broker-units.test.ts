import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { claimMayPublish, claimMaySubscribe, isFleetTopic, parseFleetRequestTopic } from './fleet/topics.js';
import { topicLimitViolation } from './limits.js';
import { peekProtocolLevel } from './mqtt5-bridge.js';
import { topicMatches } from './topic-match.js';

describe('fleet-provisioning topics', () => {
  it('parses request topics and nothing else', () => {
    expect(parseFleetRequestTopic('$aws/certificates/create/json')).toMatchObject({ operation: 'CreateKeysAndCertificate', format: 'json' });
    expect(parseFleetRequestTopic('$aws/certificates/create-from-csr/cbor')).toMatchObject({ operation: 'CreateCertificateFromCsr', format: 'cbor' });
    expect(parseFleetRequestTopic('$aws/provisioning-templates/T-1/provision/json')).toMatchObject({ operation: 'RegisterThing', templateName: 'T-1' });
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
      const bytes = mqttPacket.generate({ cmd: 'connect', protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT', protocolVersion, clientId: 'x'.repeat(300), clean: true, keepalive: 60 });
      expect(peekProtocolLevel(bytes)).toBe(protocolVersion);
      expect(peekProtocolLevel(bytes.subarray(0, 4))).toBeUndefined();
    }
  });
});
