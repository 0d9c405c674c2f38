/**
 * The emulator's MQTT broker: aedes behind node:tls with mutual TLS against the emulator CA, and
 * AWS IoT semantics on top. A client is the certificate it presents (looked up by its SHA-256 id);
 * connect, publish, subscribe and receive are authorized by the IoT policies attached to it; claim
 * certificates may use only their template's fleet-provisioning topics, until they expire. The
 * fleet-provisioning API answers on the requesting connection only. MQTT 3.1.1 directly, MQTT 5
 * through a translating bridge (aedes speaks 3.1.1).
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Packet } from 'mqtt-packet';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import type { AedesPublishPacket, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { EmulatorCa } from '../ca/index.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from '../contracts.js';
import type { Registry } from '../registry/index.js';
import type { IotMqttAction, IotPolicyEvaluator } from './authorizer.js';
import { defaultIotPolicyEvaluator } from './authorizer.js';
import { encodePayload } from './fleet/codec.js';
import type { HookOptions } from './fleet/hook.js';
import { FleetProvisioningService } from './fleet/service.js';
import { FleetThrottle } from './fleet/throttle.js';
import { claimMayPublish, claimMaySubscribe, isFleetTopic, parseFleetRequestTopic } from './fleet/topics.js';
import {
  ALPN_MQTT,
  CONNECT_TIMEOUT_MS,
  DEFAULT_MQTT_PORT,
  MAX_CLIENT_ID_BYTES,
  MAX_PACKET_BYTES,
  MAX_PAYLOAD_BYTES,
  TLS_HANDSHAKE_TIMEOUT_MS,
  topicLimitViolation,
  utf8Length,
} from './limits.js';
import { bridgeMqtt5, DisconnectReason, peekProtocolLevel, setDisconnectReason } from './mqtt5-bridge.js';
import { packetRefusal } from './packet-policy.js';
import type { FramingViolation } from './packet-size.js';
import { guardPacketSize } from './packet-size.js';
import type { ConnectionPrincipal } from './principal.js';
import { buildPrincipal, certificateRefusal } from './principal.js';
import { topicMatches } from './topic-match.js';

export { defaultIotPolicyEvaluator } from './authorizer.js';
export type { IotAuthorizationRequest, IotMqttAction, IotPolicyEvaluator } from './authorizer.js';
export { PRE_PROVISIONING_HOOK_TIMEOUT_MS } from './fleet/hook.js';
export type { HookHandler, HookOptions, PreProvisioningHookInput, PreProvisioningHookOutput } from './fleet/hook.js';
export * from './limits.js';

/** How often connected clients' certificates are re-checked (status, claim expiry), in milliseconds. */
export const CERTIFICATE_RECHECK_INTERVAL_MS = 1000;
/**
 * How long a persistent session (clean session off) outlives its connection, in milliseconds; its
 * subscriptions are then freed. AWS IoT Core quotas, "Persistent session expiry period": 1 hour
 * by default.
 */
export const PERSISTENT_SESSION_EXPIRY_MS = 60 * 60_000;

export interface BrokerOptions {
  registry: Registry;
  ca: EmulatorCa;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** 8883 by default; 0 for any free port. */
  port?: number;
  region?: string;
  accountId?: string;
  /** Names the server certificate is valid for (default localhost, 127.0.0.1, ::1). */
  serverNames?: string[];
  /** The IoT policy evaluator; the built-in one when omitted. */
  policyEvaluator?: IotPolicyEvaluator;
  /** Clock for certificate and claim expiry (the registry's clock should agree). */
  now?: () => Date;
  /** Pre-provisioning hook time limit (AWS: 5 s); tests shorten it. */
  hookTimeoutMs?: number;
  /** Local targets for hook ARNs (e.g. Lambda ARN → URL, module path or handler), and whether module paths may be named directly. */
  hooks?: Omit<HookOptions, 'timeoutMs'>;
  /** Time a connection gets to finish its TLS handshake (default TLS_HANDSHAKE_TIMEOUT_MS); tests shorten it. */
  tlsHandshakeTimeoutMs?: number;
  /** Persistent session lifetime after disconnect (default PERSISTENT_SESSION_EXPIRY_MS); tests shorten it. */
  sessionExpiryMs?: number;
  /** Monotonic milliseconds for rate limits (default performance.now); tests drive it by hand. */
  rateClock?: () => number;
  /** Where refusals are reported (why a connection was refused or closed); console.warn by default. */
  log?: (line: string) => void;
}

export interface RunningBroker {
  host: string;
  port: number;
  /** Disconnects every connection using this certificate (e.g. after UpdateCertificate INACTIVE). */
  disconnectCertificate(certificateId: string): number;
  /** Number of MQTT clients connected now. */
  readonly connectedClients: number;
  /** QoS 1 subscriptions held in the broker's session store (connected and persistent sessions). */
  storedSubscriptions(): Promise<number>;
  close(): Promise<void>;
}

interface Connection {
  certificateId: string;
  principal?: ConnectionPrincipal;
  /** Topic filters subscribed (or being subscribed), for the per-connection limit. */
  subscribed: Set<string>;
}

function authError(returnCode: 2 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { registry, ca } = options;
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? registry.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? registry.accountId ?? DEFAULT_ACCOUNT_ID;
  const evaluator = options.policyEvaluator ?? defaultIotPolicyEvaluator;
  const now = options.now ?? (() => new Date());
  const fleet = new FleetProvisioningService(registry, ca, {
    hooks: { ...options.hooks, ...(options.hookTimeoutMs !== undefined ? { timeoutMs: options.hookTimeoutMs } : {}) },
  });
  const log = options.log ?? ((line: string) => console.warn(line));
  const throttle = new FleetThrottle(options.rateClock ?? (() => performance.now()));
  const arn = (kind: 'client' | 'topic' | 'topicfilter', name: string): string =>
    `arn:aws:iot:${region}:${accountId}:${kind}/${name}`;

  const connections = new WeakMap<object, Connection>();
  const live = new Set<Client>();
  const ourReplies = new WeakSet<object>();
  const sockets = new Set<Socket>();

  const connectionOf = (client: Client | null): Connection | undefined =>
    client ? connections.get(client.conn) : undefined;
  const allowed = (p: ConnectionPrincipal, action: IotMqttAction, resource: string): boolean =>
    evaluator.isAllowed(p.policies(), { action, resource, variables: p.variables });

  const broker = await Aedes.createBroker({
    maxClientsIdLength: MAX_CLIENT_ID_BYTES,
    authenticate(client, _username, _password, done) {
      const conn = connectionOf(client);
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
      if (!cert.isClaim && !allowed(principal, 'iot:Connect', arn('client', client.id)))
        return done(authError(5, 'not authorized to connect'), false);
      conn.principal = principal;
      // A connection with a client id already in use takes over: the older one is told why (MQTT 5).
      for (const other of live)
        if (other.id === client.id && other !== client)
          setDisconnectReason(other.conn, DisconnectReason.sessionTakenOver);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const p = connectionOf(client)?.principal;
      if (!client || !p) return done(new Error('not connected'));
      // A refused PUBLISH disconnects the client, as AWS IoT does; `refuse` says why (MQTT 5).
      const refuse = (reason: number, message: string): void => {
        setDisconnectReason(client.conn, reason);
        done(new Error(message));
      };
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
      } else {
        if (!allowed(p, 'iot:Publish', arn('topic', packet.topic)))
          return refuse(DisconnectReason.notAuthorized, 'not authorized to publish');
        if (packet.retain && !allowed(p, 'iot:RetainPublish', arn('topic', packet.topic)))
          return refuse(DisconnectReason.notAuthorized, 'not authorized to retain');
      }
      const request = parseFleetRequestTopic(packet.topic);
      if (request) {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        const requestQos = packet.qos;
        const throttled = throttle.take(p.certificate.certificateId, request.operation);
        const reply = throttled
          ? Promise.resolve({ accepted: false, body: throttled.toResponse() })
          : fleet.handle(request, payload, { certificate: p.certificate, clientId: p.clientId });
        void reply.then((r) => {
          deliverReply(
            client,
            `${request.topic}/${r.accepted ? 'accepted' : 'rejected'}`,
            encodePayload(request.format, r.body),
            requestQos,
          );
        });
      }
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const conn = connectionOf(client);
      const p = conn?.principal;
      const ok =
        p !== undefined &&
        !topicLimitViolation(sub.topic) &&
        (p.certificate.isClaim
          ? claimMaySubscribe(sub.topic, p.certificate.templateName ?? '')
          : allowed(p, 'iot:Subscribe', arn('topicfilter', sub.topic)));
      if (!ok) {
        conn?.subscribed.delete(sub.topic); // a refused filter does not count towards the limit
        return done(null, null);
      }
      // QoS 2 never gets here (packet-policy.ts closes the connection); the cap is a second line.
      const granted: Subscription = { ...sub, qos: Math.min(sub.qos, 1) as Subscription['qos'] };
      done(null, granted);
    },
    authorizeForward(client, packet) {
      if (ourReplies.has(packet)) return packet;
      if (isFleetTopic(packet.topic)) return null;
      const p = connectionOf(client)?.principal;
      if (!p || p.certificate.isClaim) return null;
      return allowed(p, 'iot:Receive', arn('topic', packet.topic)) ? packet : null;
    },
  });

  /**
   * Checks each packet before aedes handles it (packet-policy.ts); a refused one is turned into an
   * unknown command, on which aedes destroys the connection without handling it.
   */
  function policePackets(client: Client, stream: Duplex, conn: Connection): void {
    const parser = (client as unknown as { _parser: { prependListener(e: 'packet', l: (p: Packet) => void): void } })
      ._parser;
    parser.prependListener('packet', (packet) => {
      const refusal = packetRefusal(packet, conn.subscribed);
      if (!refusal) return;
      log(`broker: closed connection of certificate ${conn.certificateId.slice(0, 12)}…: ${refusal.message}`);
      setDisconnectReason(stream, refusal.reason);
      (packet as { cmd: string }).cmd = 'refused';
    });
  }

  /**
   * Sends a fleet-API reply to the requesting connection only, and only if it subscribed to it: at
   * the lower of the request's QoS and the best matching subscription's, as any MQTT delivery.
   */
  function deliverReply(client: Client, topic: string, payload: Buffer, requestQos: number): void {
    const subscriptions = (client as unknown as { subscriptions: Record<string, { qos?: number }> }).subscriptions;
    let subQos = -1;
    for (const [filter, sub] of Object.entries(subscriptions))
      if (topicMatches(filter, topic)) subQos = Math.max(subQos, sub.qos ?? 0);
    if (client.closed || subQos < 0) return;
    const qos = Math.min(requestQos, subQos, 1);
    const packet = { cmd: 'publish', topic, payload, qos, retain: false, dup: false } as unknown as AedesPublishPacket;
    ourReplies.add(packet);
    (client as unknown as { deliverQoS(p: PublishPacket, cb: () => void): void }).deliverQoS(packet, () => undefined);
  }

  // Persistent sessions expire as AWS's do; clean sessions are freed by aedes on disconnect.
  const sessionExpiry = new Map<string, NodeJS.Timeout>();
  // aedes 1.x's session store; its typings do not declare it.
  const store = (
    broker as unknown as {
      persistence: {
        cleanSubscriptions(c: { id: string }): Promise<void>;
        countOffline(): Promise<{ subsCount: number }>;
      };
    }
  ).persistence;
  broker.on('clientReady', (client) => {
    clearTimeout(sessionExpiry.get(client.id));
    sessionExpiry.delete(client.id);
    live.add(client);
  });
  broker.on('clientDisconnect', (client) => {
    live.delete(client);
    if (client.clean || !client.id) return;
    const id = client.id;
    clearTimeout(sessionExpiry.get(id));
    const timer = setTimeout(() => {
      sessionExpiry.delete(id);
      // A failed clean-up leaves the expired session's subscriptions behind: say so, never swallow it.
      void store
        .cleanSubscriptions({ id })
        .catch((err: unknown) => log(`broker: could not expire the session of ${JSON.stringify(id)}: ${String(err)}`));
    }, options.sessionExpiryMs ?? PERSISTENT_SESSION_EXPIRY_MS);
    timer.unref();
    sessionExpiry.set(id, timer);
  });
  broker.on('clientError', () => undefined);
  broker.on('connectionError', () => undefined);

  const recheck = setInterval(() => {
    const t = now();
    for (const client of live) {
      const conn = connectionOf(client);
      if (!conn || certificateRefusal(registry.certificates.get(conn.certificateId), t)) {
        live.delete(client);
        setDisconnectReason(client.conn, DisconnectReason.notAuthorized);
        client.close();
      }
    }
  }, CERTIFICATE_RECHECK_INTERVAL_MS);
  recheck.unref();

  const serverCreds = await ca.issueServerCertificate(options.serverNames ?? ['localhost', '127.0.0.1', '::1']);
  const server = tls.createServer({
    key: serverCreds.privateKeyPem,
    cert: serverCreds.certificatePem,
    ca: [ca.caCertPem],
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: [ALPN_MQTT, 'mqtt'],
    minVersion: 'TLSv1.2',
    // Sockets that never finish TLS are closed (tlsClientError below), not held forever.
    handshakeTimeout: options.tlsHandshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
  });

  server.on('secureConnection', (socket: tls.TLSSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const peer = socket.getPeerCertificate();
    if (!peer?.raw) {
      socket.destroy();
      return;
    }
    const certificateId = createHash('sha256').update(peer.raw).digest('hex');
    const connectTimer = setTimeout(() => socket.destroy(), CONNECT_TIMEOUT_MS);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length > 0 && head[0] !== 0x10) {
        socket.destroy(); // the first packet must be CONNECT [MQTT-3.1.0-1]
        return;
      }
      const level = peekProtocolLevel(head);
      if (level === undefined) {
        if (head.length > 64) socket.destroy();
        return;
      }
      clearTimeout(connectTimer);
      socket.pause();
      socket.removeListener('data', onData);
      socket.unshift(head);
      const tooLarge = (v: FramingViolation): void =>
        log(
          `broker: closed connection of certificate ${certificateId.slice(0, 12)}…: ${v.kind === 'too-large' ? `packet of ${v.packetBytes} bytes declared (limit ${MAX_PACKET_BYTES})` : 'malformed remaining length'}`,
        );
      const stream: Duplex =
        level === 5 ? bridgeMqtt5(socket, tooLarge) : guardPacketSize(socket, MAX_PACKET_BYTES, tooLarge);
      const conn: Connection = { certificateId, subscribed: new Set() };
      connections.set(stream, conn);
      policePackets(broker.handle(stream), stream, conn);
    };
    socket.on('data', onData);
  });
  // A handshake that fails or times out: the socket is closed (Node leaves that to this listener).
  server.on('tlsClientError', (_err, tlsSocket) => tlsSocket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_MQTT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    host,
    port,
    get connectedClients() {
      return live.size;
    },
    async storedSubscriptions() {
      return (await store.countOffline()).subsCount;
    },
    disconnectCertificate(certificateId) {
      let n = 0;
      for (const client of live) {
        if (connectionOf(client)?.certificateId === certificateId) {
          live.delete(client);
          setDisconnectReason(client.conn, DisconnectReason.administrativeAction);
          client.close();
          n++;
        }
      }
      return n;
    },
    async close() {
      clearInterval(recheck);
      for (const t of sessionExpiry.values()) clearTimeout(t);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
