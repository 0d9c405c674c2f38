/**
 * Attack (issue #14): one PUBLISH declaring 200 MiB from any certificate made the broker buffer it
 * whole (RSS 148 → 541 MiB) before the 128 KiB check. The size must be refused when the fixed
 * header's remaining length is read, on MQTT 3.1.1 and MQTT 5: the connection closes and the
 * broker's memory stays flat. The broker runs in a child process (broker-child.ts) so its RSS is
 * its own.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const DECLARED = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024);
/** Bound on the broker's RSS growth during the attack (the packet itself is 200 MiB). */
const MAX_GROWTH = 10 * 1024 * 1024;

interface Ready {
  port: number;
  caCertPem: string;
  claim: { cert: string; key: string };
}

let child: ChildProcess;
let ready: Ready;

function ask<T>(cmd: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { cmd: string }): void => {
      if (m.cmd !== cmd) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send({ cmd });
  });
}

/** Remaining-length varint of MQTT. */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A TLS connection with the claim, CONNECTed (CONNACK received). */
async function open(
  protocolVersion: 4 | 5,
  clientId: string,
): Promise<{ socket: tls.TLSSocket; closed: Promise<void> }> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: ready.port,
    ca: ready.caCertPem,
    cert: ready.claim.cert,
    key: ready.claim.key,
    servername: 'localhost',
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId, clean: true, keepalive: 60 }),
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return { socket, closed };
}

/** Declares a 200 MiB PUBLISH and streams zeros until the broker closes the connection. */
async function attack(protocolVersion: 4 | 5): Promise<{ closed: boolean; sent: number }> {
  const { socket, closed } = await open(protocolVersion, `big-${protocolVersion}`);
  const topic = '$aws/certificates/create/json';
  socket.write(
    Buffer.concat([Buffer.from([0x30]), varint(DECLARED), Buffer.from([0, topic.length]), Buffer.from(topic)]),
  );
  let sent = 0;
  let done = false;
  void closed.then(() => (done = true));
  while (!done && sent < DECLARED) {
    if (!socket.write(CHUNK)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    sent += CHUNK.length;
  }
  await closed;
  return { closed: true, sent };
}

describe('broker packet size limit (child process)', () => {
  // A fresh broker per attack: RSS a process once reached does not come back, so one attack
  // would hide the next.
  beforeEach(async () => {
    const script = fileURLToPath(new URL('./broker-child.ts', import.meta.url));
    child = fork(script, [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    ready = await new Promise<Ready>((resolve) => child.once('message', (m) => resolve(m as Ready)));
  }, 60_000);
  afterEach(() => {
    child.disconnect();
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`closes a 200 MiB PUBLISH on MQTT ${protocolVersion === 4 ? '3.1.1' : '5'} at its header, RSS growth < 10 MiB`, async () => {
      // Warm-up (TLS, parser, code paths) with a well-behaved connection, then the baseline.
      const warm = await open(protocolVersion, `warm-${protocolVersion}`);
      warm.socket.end();
      await warm.closed;
      await ask('baseline');
      const result = await attack(protocolVersion);
      const { bytes } = await ask<{ bytes: number }>('peak');
      console.info(
        `MQTT ${protocolVersion}: sent ${(result.sent / 2 ** 20).toFixed(1)} MiB before the close; broker RSS growth ${(bytes / 2 ** 20).toFixed(1)} MiB`,
      );
      expect(result.closed).toBe(true);
      expect(result.sent).toBeLessThan(DECLARED);
      expect(bytes).toBeLessThan(MAX_GROWTH);
    }, 300_000);
  }
});
