/**
 * The broker's mutual-TLS listener: TLS ≥ 1.2, a client certificate signed by the emulator CA
 * required, ALPN `x-amzn-mqtt-ca` or `mqtt` (or none). Each connection's first packet must be a
 * CONNECT; its protocol level picks the byte stream aedes reads (MQTT 5 through the bridge, 3.1.1
 * with the packet-size guard), handed over with the SHA-256 id of the client's certificate.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { EmulatorCa } from '../ca/index.js';
import { ALPN_MQTT, CONNECT_TIMEOUT_MS, MAX_PACKET_BYTES } from './limits.js';
import { bridgeMqtt5, peekProtocolLevel } from './mqtt5-bridge.js';
import type { FramingViolation } from './packet-size.js';
import { guardPacketSize } from './packet-size.js';

export interface MqttTlsOptions {
  host: string;
  port: number;
  /** Names the server certificate is valid for. */
  serverNames: string[];
  /** Time a connection gets to finish its TLS handshake. */
  handshakeTimeoutMs: number;
  log: (line: string) => void;
}

export interface MqttTlsListener {
  port: number;
  /** Stops listening and destroys every open socket. */
  close(): Promise<void>;
}

/** A CONNECT's protocol level is within its first 64 bytes, or the client is not speaking MQTT. */
const MAX_CONNECT_HEAD_BYTES = 64;

/** The broker's mutual-TLS server settings: its certificate for `serverNames`, client certificates required. */
export async function brokerTlsOptions(ca: EmulatorCa, serverNames: string[]): Promise<tls.TlsOptions> {
  const serverCreds = await ca.issueServerCertificate(serverNames);
  return {
    key: serverCreds.privateKeyPem,
    cert: serverCreds.certificatePem,
    ca: [ca.caCertPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

export async function listenMqttTls(
  ca: EmulatorCa,
  options: MqttTlsOptions,
  accept: (stream: Duplex, certificateId: string) => void,
): Promise<MqttTlsListener> {
  const server = tls.createServer({
    ...(await brokerTlsOptions(ca, options.serverNames)),
    ALPNProtocols: [ALPN_MQTT, 'mqtt'],
    // Sockets that never finish TLS are closed (tlsClientError below), not held forever.
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: tls.TLSSocket) => onSecureConnection(socket, sockets, options.log, accept));
  // A handshake that fails or times out: the socket is closed (Node leaves that to this listener).
  server.on('tlsClientError', (_err, tlsSocket) => tlsSocket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function onSecureConnection(
  socket: tls.TLSSocket,
  sockets: Set<Socket>,
  log: (line: string) => void,
  accept: (stream: Duplex, certificateId: string) => void,
): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  // A peer's socket error (a reset, a broken pipe) ends its connection; there is nothing to retry.
  socket.on('error', () => socket.destroy());
  const certificateId = peerCertificateId(socket);
  if (certificateId === undefined) {
    socket.destroy();
    return;
  }
  awaitConnect(socket, (level) => accept(mqttStream(socket, level, certificateId, log), certificateId));
}

/**
 * The client certificate's id as AWS IoT forms it, the SHA-256 of its DER in lowercase hex, or
 * undefined without one. `fingerprint256` is that digest, computed by OpenSSL on the certificate it
 * holds. Not getPeerX509Certificate(): on its first call per socket Node 20 duplicates the peer's
 * chain (X509_dup, a full re-parse of each certificate), which cost 2.5× the fields-only
 * getPeerCertificate(false) in this broker (0.26 against 0.1 ms per connection, measured).
 */
function peerCertificateId(socket: tls.TLSSocket): string | undefined {
  const fingerprint = socket.getPeerCertificate(false).fingerprint256;
  return fingerprint ? fingerprint.replaceAll(':', '').toLowerCase() : undefined;
}

/**
 * Reads until the protocol level of the first packet, a CONNECT, is known, then hands the socket
 * on paused, with what was read put back. A socket that sends anything else first
 * [MQTT-3.1.0-1], or no CONNECT within CONNECT_TIMEOUT_MS, is closed.
 */
function awaitConnect(socket: tls.TLSSocket, onLevel: (level: number) => void): void {
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
      if (head.length > MAX_CONNECT_HEAD_BYTES) socket.destroy();
      return;
    }
    clearTimeout(connectTimer);
    socket.pause();
    socket.removeListener('data', onData);
    socket.unshift(head);
    onLevel(level);
  };
  socket.on('data', onData);
}

/** The stream aedes reads: MQTT 5 through the bridge, 3.1.1 behind the packet-size guard. */
function mqttStream(socket: tls.TLSSocket, level: number, certificateId: string, log: (line: string) => void): Duplex {
  const tooLarge = (v: FramingViolation): void =>
    log(
      `broker: closed connection of certificate ${certificateId.slice(0, 12)}…: ${v.kind === 'too-large' ? `packet of ${v.packetBytes} bytes declared (limit ${MAX_PACKET_BYTES})` : 'malformed remaining length'}`,
    );
  return level === 5 ? bridgeMqtt5(socket, tooLarge) : guardPacketSize(socket, MAX_PACKET_BYTES, tooLarge);
}
