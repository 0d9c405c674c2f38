/**
 * Attack (issue #14): TCP connections that never start TLS were held forever (1,000 held after
 * 50 s, 20 after 300 s). A connection that does not finish its handshake in time, or fails it, is
 * destroyed. The timeout is injected short; the test asserts the close, not the time.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIotFixture } from '../cloud-iot/fixture.js';
import type { IotFixture } from '../cloud-iot/fixture.js';

function openRaw(port: number): { socket: net.Socket; closed: Promise<boolean> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
  return { socket, closed };
}

describe('sockets that never finish TLS', () => {
  let fx: IotFixture;
  beforeAll(async () => {
    fx = await startIotFixture({ broker: { tlsHandshakeTimeoutMs: 300, log: () => undefined } });
  });
  afterAll(async () => fx.close());

  it('closes silent TCP connections after the handshake timeout', async () => {
    const raw = Array.from({ length: 20 }, () => openRaw(fx.broker.port));
    expect(await Promise.all(raw.map((r) => r.closed))).toEqual(new Array(20).fill(true));
  }, 60_000);

  it('closes a connection whose TLS handshake fails', async () => {
    const { socket, closed } = openRaw(fx.broker.port);
    socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await closed).toBe(true);
  }, 60_000);
});
