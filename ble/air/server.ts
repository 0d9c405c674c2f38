/**
 * The air as a server: hosts in other processes attach over a unix socket or TCP and each gets its
 * own controller, speaking H4 exactly as a UART dongle or rootcanal would.
 */
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { H4Framer } from '../h4/index.js';
import { Air } from './air.js';
import type { AirOptions } from './air.js';

export interface AirServerOptions extends AirOptions {
  /** Unix socket path to listen on (replaced if a stale one is there). */
  unixPath?: string;
  /** TCP to listen on; port 0 picks a free one. Loopback by default. */
  tcp?: { host?: string; port: number };
  /** Use this air instead of creating one (its options win). */
  air?: Air;
}

export class AirServer {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  /** Transport specs hosts can use to attach, e.g. "air:unix:/tmp/air.sock", "air:tcp:127.0.0.1:6402". */
  readonly specs: string[] = [];

  private constructor(readonly air: Air) {}

  /** The first of {@link specs}; throws when the server was started with neither unixPath nor tcp. */
  get spec(): string {
    const [first] = this.specs;
    if (first === undefined) throw new Error('the air server listens nowhere: start it with unixPath or tcp');
    return first;
  }

  static async start(options: AirServerOptions = {}): Promise<AirServer> {
    const server = new AirServer(options.air ?? new Air(options));
    try {
      if (options.unixPath !== undefined) {
        await rm(options.unixPath, { force: true });
        await server.listen((s) => s.listen(options.unixPath));
        server.specs.push(`air:unix:${options.unixPath}`);
      }
      if (options.tcp) {
        const host = options.tcp.host ?? '127.0.0.1';
        const port = options.tcp.port;
        const s = await server.listen((srv) => srv.listen(port, host));
        const addr = s.address() as AddressInfo;
        server.specs.push(`air:tcp:${host.includes(':') ? `[${host}]` : host}:${addr.port}`);
      }
    } catch (err) {
      await server.close();
      throw err;
    }
    return server;
  }

  private listen(start: (s: Server) => void): Promise<Server> {
    const s = createServer((socket) => this.accept(socket));
    this.servers.push(s);
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.once('listening', () => {
        s.off('error', reject);
        resolve(s);
      });
      start(s);
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay?.(true);
    const controller = this.air.attach((packet) => socket.write(packet));
    const framer = new H4Framer((packet) => controller.receive(packet));
    socket.on('data', (chunk: Buffer) => {
      try {
        framer.push(chunk);
      } catch {
        socket.destroy(); // Not H4: the stream cannot be resynchronised.
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      controller.detach();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.air.close();
  }
}

/** Starts an air server (unix and/or TCP); with neither, an in-process air only. */
export function startAir(options: AirServerOptions = {}): Promise<AirServer> {
  return AirServer.start(options);
}
