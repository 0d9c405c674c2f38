/**
 * A TCP gate in front of the emulator's MQTT broker, on its own loopback port, so a test can take
 * "the broker" down and up while a device provisions: `down()` stops listening (connections are
 * refused, as with a broker that is not running), `up()` listens again on the same port,
 * `resetNext(n)` accepts and resets the next n connections (a broker that crashes on connect),
 * `cut()` drops every connection in flight. Bytes are relayed untouched (TLS stays end to end).
 */
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export class BrokerGate {
  /** Connections the gate accepted (relayed or reset). */
  accepted = 0;
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  private resets = 0;
  private portNumber = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(target: { host: string; port: number }): Promise<BrokerGate> {
    const gate = new BrokerGate(target);
    await gate.up();
    return gate;
  }

  get port(): number {
    return this.portNumber;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => resolve());
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.cut();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  resetNext(n: number): void {
    this.resets = n;
  }

  cut(): void {
    for (const s of this.open) s.resetAndDestroy();
    this.open.clear();
  }

  async close(): Promise<void> {
    await this.down();
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.resets > 0) {
      this.resets--;
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(this.target);
    this.open.add(client);
    this.open.add(upstream);
    const end = (): void => {
      this.open.delete(client);
      this.open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
