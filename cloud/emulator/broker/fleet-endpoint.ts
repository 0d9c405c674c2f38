/**
 * The fleet-provisioning API on the broker: a request published by a connection is rate-limited,
 * answered by the transport-free FleetProvisioningService, and the answer is delivered to that
 * connection only (never routed to other subscribers).
 */
import type { AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { deliverTo, subscriptionsOf } from './aedes-internals.js';
import { encodePayload } from './fleet/index.js';
import type { FleetProvisioningService, FleetReply, FleetThrottle, FleetRequestTopic } from './fleet/index.js';
import type { ConnectionPrincipal } from './principal.js';
import { topicMatches } from './topic-match.js';

export class FleetEndpoint {
  /** Packets this endpoint sent: forwarded to their one recipient whatever its policy says. */
  private readonly replies = new WeakSet<object>();

  constructor(
    private readonly service: FleetProvisioningService,
    private readonly throttle: FleetThrottle,
  ) {}

  /** Handles an authorized request; the answer goes to `{request}/accepted` or `/rejected` later. */
  request(client: Client, request: FleetRequestTopic, packet: PublishPacket, principal: ConnectionPrincipal): void {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const requestQos = packet.qos;
    const throttled = this.throttle.take(principal.certificate.certificateId, request.operation);
    const reply: Promise<FleetReply> = throttled
      ? Promise.resolve({ accepted: false, body: throttled.toResponse() })
      : this.service.handle(request, payload, { certificate: principal.certificate, clientId: principal.clientId });
    void reply.then((r) => {
      this.deliver(
        client,
        `${request.topic}/${r.accepted ? 'accepted' : 'rejected'}`,
        encodePayload(request.format, r.body),
        requestQos,
      );
    });
  }

  isReply(packet: object): boolean {
    return this.replies.has(packet);
  }

  /**
   * Sends a reply to the requesting connection only, and only if it subscribed to it: at the lower
   * of the request's QoS and the best matching subscription's, as any MQTT delivery.
   */
  private deliver(client: Client, topic: string, payload: Buffer, requestQos: number): void {
    let subQos = -1;
    for (const [filter, sub] of Object.entries(subscriptionsOf(client)))
      if (topicMatches(filter, topic)) subQos = Math.max(subQos, sub.qos ?? 0);
    if (client.closed || subQos < 0) return;
    const qos = Math.min(requestQos, subQos, 1);
    const packet = { cmd: 'publish', topic, payload, qos, retain: false, dup: false } as unknown as AedesPublishPacket;
    this.replies.add(packet);
    deliverTo(client, packet);
  }
}
