/**
 * AWS IoT semantics for aedes's four hooks: who may connect (the certificate, claim rules, client
 * id, `iot:Connect`), publish (limits, claim topics, `iot:Publish`/`iot:RetainPublish`), subscribe
 * (`iot:Subscribe`, QoS ≤ 1) and receive (`iot:Receive`). A refused PUBLISH disconnects, as AWS does.
 */
import type { AedesPublishPacket, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Registry } from '../registry/index.js';
import type { IotMqttAction, IotPolicyEvaluator } from './authorizer.js';
import type { ConnectionTable } from './connections.js';
import type { FleetEndpoint } from './fleet-endpoint.js';
import { claimMayPublish, claimMaySubscribe, isFleetTopic, parseFleetRequestTopic } from './fleet/index.js';
import { MAX_CLIENT_ID_BYTES, MAX_PAYLOAD_BYTES, topicLimitViolation, utf8Length } from './limits.js';
import { DisconnectReason, setDisconnectReason } from './mqtt5-bridge.js';
import type { ConnectionPrincipal } from './principal.js';
import { buildPrincipal, certificateRefusal } from './principal.js';

export interface MqttAuthorizerOptions {
  registry: Registry;
  connections: ConnectionTable;
  evaluator: IotPolicyEvaluator;
  fleet: FleetEndpoint;
  region: string;
  accountId: string;
  now: () => Date;
  log: (line: string) => void;
}

/** Why a PUBLISH is refused: the MQTT 5 DISCONNECT reason and a message. */
interface PublishRefusal {
  reason: number;
  message: string;
}

function authError(returnCode: 2 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

export class MqttAuthorizer {
  constructor(private readonly o: MqttAuthorizerOptions) {}

  authenticate(client: Client, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const { registry, connections, now, log } = this.o;
    const conn = connections.of(client);
    if (!conn) return done(authError(5, 'no client certificate'), false);
    const cert = registry.certificates.get(conn.certificateId);
    const refusal = certificateRefusal(cert, now());
    if (refusal || !cert) return done(authError(5, refusal ?? 'unknown certificate'), false);
    if (utf8Length(client.id) > MAX_CLIENT_ID_BYTES) return done(authError(2, 'client id too long'), false);
    // A claim's policy grants its template's API only, not iot:Connect as a thing: a claim using a
    // registered thing's name as client id would take that device's session over (and knock it offline).
    if (cert.isClaim && registry.things.get(client.id)) {
      log(
        `broker: refused CONNECT of claim ${cert.certificateId.slice(0, 12)}…: client id ${JSON.stringify(client.id)} is a registered thing name`,
      );
      return done(authError(5, 'a claim may not use a thing name as client id'), false);
    }
    const principal = buildPrincipal(registry, cert, client.id, now);
    if (!cert.isClaim && !this.allowed(principal, 'iot:Connect', this.arn('client', client.id)))
      return done(authError(5, 'not authorized to connect'), false);
    conn.principal = principal;
    // A connection with a client id already in use takes over: the older one is told why (MQTT 5).
    for (const other of connections.sameClientId(client))
      setDisconnectReason(other.conn, DisconnectReason.sessionTakenOver);
    done(null, true);
  }

  authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const p = this.o.connections.of(client)?.principal;
    if (!client || !p) return done(new Error('not connected'));
    const refusal = this.publishRefusal(p, packet);
    if (refusal) {
      // The client is disconnected; `reason` tells an MQTT 5 client why.
      setDisconnectReason(client.conn, refusal.reason);
      return done(new Error(refusal.message));
    }
    const request = parseFleetRequestTopic(packet.topic);
    if (request) this.o.fleet.request(client, request, packet, p);
    done(null);
  }

  authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const conn = this.o.connections.of(client);
    const p = conn?.principal;
    const ok =
      p !== undefined &&
      !topicLimitViolation(sub.topic) &&
      (p.certificate.isClaim
        ? claimMaySubscribe(sub.topic, p.certificate.templateName ?? '')
        : this.allowed(p, 'iot:Subscribe', this.arn('topicfilter', sub.topic)));
    if (!ok) {
      conn?.subscribed.delete(sub.topic); // a refused filter does not count towards the limit
      return done(null, null);
    }
    // QoS 2 never gets here (packet-policy.ts closes the connection); the cap is a second line.
    const granted: Subscription = { ...sub, qos: Math.min(sub.qos, 1) as Subscription['qos'] };
    done(null, granted);
  }

  authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (this.o.fleet.isReply(packet)) return packet;
    if (isFleetTopic(packet.topic)) return null;
    const p = this.o.connections.of(client)?.principal;
    if (!p || p.certificate.isClaim) return null;
    return this.allowed(p, 'iot:Receive', this.arn('topic', packet.topic)) ? packet : null;
  }

  private publishRefusal(p: ConnectionPrincipal, packet: PublishPacket): PublishRefusal | undefined {
    const refuse = (reason: number, message: string): PublishRefusal => ({ reason, message });
    const payloadBytes = typeof packet.payload === 'string' ? utf8Length(packet.payload) : packet.payload.length;
    if (payloadBytes > MAX_PAYLOAD_BYTES)
      return refuse(DisconnectReason.packetTooLarge, `payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
    const violation = topicLimitViolation(packet.topic);
    if (violation) return refuse(DisconnectReason.topicNameInvalid, violation);
    if (p.certificate.isClaim) {
      if (!claimMayPublish(packet.topic, p.certificate.templateName ?? ''))
        return refuse(
          DisconnectReason.notAuthorized,
          'claim certificates may only publish fleet-provisioning requests',
        );
      // The claim's policy allows iot:Publish on its API topics, never iot:RetainPublish.
      if (packet.retain)
        return refuse(DisconnectReason.notAuthorized, 'claim certificates may not publish retained messages');
      return undefined;
    }
    if (!this.allowed(p, 'iot:Publish', this.arn('topic', packet.topic)))
      return refuse(DisconnectReason.notAuthorized, 'not authorized to publish');
    if (packet.retain && !this.allowed(p, 'iot:RetainPublish', this.arn('topic', packet.topic)))
      return refuse(DisconnectReason.notAuthorized, 'not authorized to retain');
    return undefined;
  }

  private allowed(p: ConnectionPrincipal, action: IotMqttAction, resource: string): boolean {
    return this.o.evaluator.isAllowed(p.policies(), { action, resource, variables: p.variables });
  }

  private arn(kind: 'client' | 'topic' | 'topicfilter', name: string): string {
    return `arn:aws:iot:${this.o.region}:${this.o.accountId}:${kind}/${name}`;
  }
}
