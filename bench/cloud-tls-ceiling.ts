/**
 * The TLS ceiling of the cloud bench: how many P-256 mutual-TLS handshakes per second two Node
 * processes on this machine manage between them, measured in the same run as the registrations.
 * A registration costs two full handshakes (the claim connection, then the new certificate's), so
 * registrations/s can at best be half this rate. The server runs in the emulator child with the
 * broker's TLS settings (the same server certificate, CA, client certificate required and verified);
 * the client, in the load generator, connects like the simulated devices do (a fresh full handshake
 * per connection, its key and certificate passed as PEM).
 */
import { webcrypto } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { brokerTlsOptions } from '../cloud/emulator/broker/tls-listener.js';
import type { EmulatorCa } from '../cloud/emulator/ca/index.js';

/** Handshakes per measurement. */
export const TLS_CEILING_HANDSHAKES = 2000;
/** Handshakes in flight, as many as the registrations in flight. */
export const TLS_CEILING_CONCURRENCY = 50;

/** What the load generator needs to measure against the child's TLS server. */
export interface TlsCeilingTarget {
  port: number;
  caPem: string;
  /** A P-256 client certificate issued by the emulator CA, and its key. */
  cert: string;
  key: string;
}

/**
 * In the emulator child: a TLS server configured as the broker's listener. Once the handshake is
 * done on its side (the client certificate verified) it sends one byte and closes, so the client
 * counts a handshake only when both sides finished it.
 */
export async function startTlsCeilingServer(
  ca: EmulatorCa,
): Promise<{ target: TlsCeilingTarget; close: () => Promise<void> }> {
  const server = tls.createServer(await brokerTlsOptions(ca, ['localhost', '127.0.0.1']));
  server.on('secureConnection', (socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(Buffer.of(1));
  });
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await p256ClientCertificate(ca);
  return {
    target: { port: (server.address() as AddressInfo).port, caPem: ca.caCertPem, ...client },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function p256ClientCertificate(ca: EmulatorCa): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  const issued = await ca.issueCertificate({
    publicKey: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
    subject: 'CN=tls-ceiling',
    validity: { notAfter: new Date(Date.now() + 3600_000) },
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: issued.certificatePem, key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

function handshake(t: TlsCeilingTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: t.port, ca: t.caPem, cert: t.cert, key: t.key });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the server finished its handshake')));
  });
}

/**
 * In the load generator: handshakes per second over `count` handshakes, `concurrency` in flight.
 * Given several targets (client certificates), handshake n uses target n mod their number.
 */
export async function measureTlsHandshakes(
  target: TlsCeilingTarget | readonly TlsCeilingTarget[],
  count = TLS_CEILING_HANDSHAKES,
  concurrency = TLS_CEILING_CONCURRENCY,
): Promise<number> {
  const targets = Array.isArray(target) ? target : [target as TlsCeilingTarget];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      await handshake(targets[next++ % targets.length] as TlsCeilingTarget);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return count / ((performance.now() - started) / 1000);
}
