/**
 * The serial transport on a real tty: a pseudo-terminal whose other end a small relay connects to
 * the air server, as a UART dongle would sit between the host and a controller.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startAir } from '../air/server.js';
import type { AirServer } from '../air/server.js';
import { addressToString, h4Command } from '../h4/packets.js';
import { H4HciSocket } from './hci-socket.js';
import { parseTransport } from './spec.js';

/** Opens a pty, prints the slave's path, relays the master to TCP until stdin closes. */
const RELAY = `
import os, pty, select, socket, sys
m, s = pty.openpty()
conn = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
print(os.ttyname(s), flush=True)
while True:
    r, _, _ = select.select([m, conn, sys.stdin], [], [])
    if sys.stdin in r and not os.read(0, 1):
        break
    if m in r:
        try:
            d = os.read(m, 4096)
        except OSError:
            break
        conn.sendall(d)
    if conn in r:
        d = conn.recv(4096)
        if not d:
            break
        os.write(m, d)
`;

let server: AirServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('serial transport', () => {
  it('speaks H4 over a raw tty to a controller', async () => {
    server = await startAir({ tcp: { port: 0 } });
    const port = server.spec.split(':').pop()!;
    const relay = spawn('python3', ['-c', RELAY, port], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [path] = (await once(createInterface({ input: relay.stdout }), 'line')) as [string];
      const socket = new H4HciSocket(parseTransport(`serial:${path},1000000`), () => {
        throw new Error('no in-process air here');
      });
      const data: Buffer[] = [];
      socket.on('data', (p: Buffer) => data.push(p));
      socket.bindRaw(0);
      socket.write(h4Command(0x1009));
      for (let i = 0; i < 1000 && data.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(data).toHaveLength(1);
      expect(data[0]!.readUInt16LE(4)).toBe(0x1009);
      expect(server.air.addresses).toEqual([addressToString(data[0]!.subarray(7, 13))]);
      socket.close();
    } finally {
      relay.stdin.end();
      if (relay.exitCode === null) await once(relay, 'exit');
    }
  });

  it('reports a tty that cannot be opened as a failed link (device down, error emitted)', async () => {
    const socket = new H4HciSocket(parseTransport('serial:/nonexistent/ttyX'), () => {
      throw new Error('unused');
    });
    const error = new Promise<Error>((resolve) => socket.on('error', resolve));
    socket.bindRaw(0);
    expect(await error).toBeInstanceOf(Error);
    expect(socket.isDevUp()).toBe(false);
  });
});
