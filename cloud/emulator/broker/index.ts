/**
 * The emulator's MQTT broker: aedes behind node:tls with mutual TLS against the emulator CA, and
 * AWS IoT semantics on top. A client is the certificate it presents (looked up by its SHA-256 id);
 * connect, publish, subscribe and receive are authorized by the IoT policies attached to it; claim
 * certificates may use only their template's fleet-provisioning topics, until they expire. The
 * fleet-provisioning API answers on the requesting connection only. MQTT 3.1.1 directly, MQTT 5
 * through a translating bridge (aedes speaks 3.1.1).
 */
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import type { Client } from 'aedes';
import type { EmulatorCa } from '../ca/index.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from '../contracts/index.js';
import type { Registry } from '../registry/index.js';
import { prependPacketListener, sessionStoreOf } from './aedes-internals.js';
import type { IotPolicyEvaluator } from './authorizer.js';
import { defaultIotPolicyEvaluator } from './authorizer.js';
import type { Connection } from './connections.js';
import { ConnectionTable } from './connections.js';
import { FleetEndpoint } from './fleet-endpoint.js';
import type { HookOptions } from './fleet/index.js';
import { FleetProvisioningService, FleetThrottle } from './fleet/index.js';
import { DEFAULT_MQTT_PORT, MAX_CLIENT_ID_BYTES, TLS_HANDSHAKE_TIMEOUT_MS } from './limits.js';
import { DisconnectReason, setDisconnectReason } from './mqtt5-bridge.js';
import { MqttAuthorizer } from './mqtt-authorizer.js';
import { packetRefusal } from './packet-policy.js';
import { certificateRefusal } from './principal.js';
import { PersistentSessions } from './sessions.js';
import { listenMqttTls } from './tls-listener.js';

export { defaultIotPolicyEvaluator } from './authorizer.js';
export type { IotAuthorizationRequest, IotMqttAction, IotPolicyEvaluator } from './authorizer.js';
export { PRE_PROVISIONING_HOOK_TIMEOUT_MS } from './fleet/index.js';
export type { HookHandler, HookOptions, PreProvisioningHookInput, PreProvisioningHookOutput } from './fleet/index.js';
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

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { registry, ca } = options;
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => console.warn(line));
  const connections = new ConnectionTable();
  const authorizer = new MqttAuthorizer({
    registry,
    connections,
    evaluator: options.policyEvaluator ?? defaultIotPolicyEvaluator,
    fleet: fleetEndpoint(options),
    region: options.region ?? registry.region ?? DEFAULT_REGION,
    accountId: options.accountId ?? registry.accountId ?? DEFAULT_ACCOUNT_ID,
    now,
    log,
  });
  const broker = await Aedes.createBroker({
    maxClientsIdLength: MAX_CLIENT_ID_BYTES,
    authenticate: (client, _username, _password, done) => authorizer.authenticate(client, done),
    authorizePublish: (client, packet, done) => authorizer.authorizePublish(client, packet, done),
    authorizeSubscribe: (client, sub, done) => authorizer.authorizeSubscribe(client, sub, done),
    authorizeForward: (client, packet) => authorizer.authorizeForward(client, packet),
  });
  const sessions = trackClients(broker, connections, options, log);
  const recheck = recheckCertificates(registry, connections, now);

  const listener = await listenMqttTls(
    ca,
    {
      host,
      port: options.port ?? DEFAULT_MQTT_PORT,
      serverNames: options.serverNames ?? ['localhost', '127.0.0.1', '::1'],
      handshakeTimeoutMs: options.tlsHandshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
      log,
    },
    (stream, certificateId) => {
      const conn = connections.open(stream, certificateId);
      policePackets(broker.handle(stream), stream, conn, log);
    },
  );

  return {
    host,
    port: listener.port,
    get connectedClients() {
      return connections.connected;
    },
    storedSubscriptions: () => sessions.storedSubscriptions(),
    disconnectCertificate: (certificateId) =>
      connections.closeWhere((conn) => conn?.certificateId === certificateId, DisconnectReason.administrativeAction),
    async close() {
      clearInterval(recheck);
      sessions.stop();
      await listener.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

function fleetEndpoint(options: BrokerOptions): FleetEndpoint {
  const hooks: HookOptions = {
    ...options.hooks,
    ...(options.hookTimeoutMs !== undefined ? { timeoutMs: options.hookTimeoutMs } : {}),
  };
  return new FleetEndpoint(
    new FleetProvisioningService(options.registry, options.ca, { hooks }),
    new FleetThrottle(options.rateClock ?? (() => performance.now())),
  );
}

/** Keeps the set of connected clients and the persistent sessions' expiry up to date. */
function trackClients(
  broker: Aedes,
  connections: ConnectionTable,
  options: BrokerOptions,
  log: (line: string) => void,
): PersistentSessions {
  const sessions = new PersistentSessions(
    sessionStoreOf(broker),
    options.sessionExpiryMs ?? PERSISTENT_SESSION_EXPIRY_MS,
    log,
  );
  // Connected from aedes's registration on, paired with clientDisconnect (aedes counts its clients
  // there too): 'clientReady' comes only once the CONNACK's write has completed, by when the client
  // may already have acted on it, e.g. a certificate deactivated then found nothing to disconnect.
  broker.on('client', (client) => connections.ready(client));
  broker.on('clientReady', (client) => sessions.resumed(client.id));
  broker.on('clientDisconnect', (client) => {
    connections.gone(client);
    sessions.disconnected(client);
  });
  // aedes reports every client's socket and protocol errors here: peers vanishing mid-packet and
  // connections the broker refused are the normal case, and each refusal is logged where it is made.
  broker.on('clientError', () => undefined);
  broker.on('connectionError', () => undefined);
  return sessions;
}

/** Closes connections whose certificate may no longer be used (set INACTIVE/REVOKED, claim expired). */
function recheckCertificates(registry: Registry, connections: ConnectionTable, now: () => Date): NodeJS.Timeout {
  const recheck = setInterval(() => {
    const ids = connections.certificateIds();
    if (ids.size === 0) return;
    const t = now();
    // One query for all of them: a thousand connections would otherwise be a thousand queries a second.
    const records = registry.certificates.usabilityOf(ids);
    connections.closeWhere(
      (conn) => !conn || Boolean(certificateRefusal(records.get(conn.certificateId), t)),
      DisconnectReason.notAuthorized,
    );
  }, CERTIFICATE_RECHECK_INTERVAL_MS);
  recheck.unref();
  return recheck;
}

/**
 * Checks each packet before aedes handles it (packet-policy.ts); a refused one is turned into an
 * unknown command, on which aedes destroys the connection without handling it.
 */
function policePackets(client: Client, stream: Duplex, conn: Connection, log: (line: string) => void): void {
  prependPacketListener(client, (packet) => {
    const refusal = packetRefusal(packet, conn.subscribed);
    if (!refusal) return;
    log(`broker: closed connection of certificate ${conn.certificateId.slice(0, 12)}…: ${refusal.message}`);
    setDisconnectReason(stream, refusal.reason);
    (packet as { cmd: string }).cmd = 'refused';
  });
}
