/** The air server: hosts attach over TCP and a unix socket and each gets its own controller. */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { H4Framer } from '../h4/framer.js';
import { h4Command } from '../h4/packets.js';
import { startAir } from './server.js';
import type { AirServer } from './server.js';

let server: AirServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

/**
 * Connects to one of the server's specs, `air:unix:PATH` or `air:tcp:HOST:PORT`, read here rather than
 * by the transport's parser: air/ imports nothing of transport/ (the stacks' tests attach by spec).
 */
function attach(spec: string): { socket: Socket; packets: Buffer[]; closed: Promise<void> } {
  const unix = /^air:unix:(.+)$/.exec(spec);
  const tcp = /^air:tcp:(.+):(\d+)$/.exec(spec);
  const socket = unix?.[1]
    ? connect({ path: unix[1] })
    : tcp?.[1] && tcp[2]
      ? connect({ host: tcp[1], port: Number(tcp[2]) })
      : undefined;
  if (!socket) throw new Error(spec);
  const packets: Buffer[] = [];
  const framer = new H4Framer((p) => packets.push(p));
  socket.on('data', (c) => framer.push(c));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return { socket, packets, closed };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

describe('AirServer', () => {
  it('serves H4 over unix and TCP, one controller with its own address per connection', async () => {
    dir = await mkdtemp(join(tmpdir(), 'air-'));
    server = await startAir({ unixPath: join(dir, 'air.sock'), tcp: { port: 0 } });
    expect(server.specs[0]).toBe(`air:unix:${join(dir, 'air.sock')}`);
    expect(server.specs[1]).toMatch(/^air:tcp:127\.0\.0\.1:\d+$/);
    const hosts = server.specs.map(attach);
    const readAddr = h4Command(0x1009);
    for (const h of hosts) {
      // Split mid-packet: the server re-frames.
      h.socket.write(readAddr.subarray(0, 2));
      setTimeout(() => h.socket.write(readAddr.subarray(2)), 5);
    }
    await until(() => hosts.every((h) => h.packets.length === 1));
    const addresses = hosts.map((h) => h.packets[0]!.subarray(7, 13).toString('hex'));
    expect(new Set(addresses).size).toBe(2);
    expect(server.air.addresses).toHaveLength(2);
    for (const h of hosts) h.socket.destroy();
    await until(() => server!.air.addresses.length === 0);
  });

  it('closes a connection that does not speak H4', async () => {
    server = await startAir({ tcp: { port: 0 } });
    const h = attach(server.spec);
    h.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await h.closed;
    await until(() => server!.air.addresses.length === 0);
  });
});
