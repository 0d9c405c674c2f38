/**
 * The cable between a device and its HCI controller, as a TCP forwarder in front of the air
 * server: `cut` kills the device's open H4 sockets (a dongle yanked and, for the device, a real
 * socket that dies), `unplug` also refuses new ones until `plug` (the dongle stays out).
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export class ControllerCable {
  readonly #pairs = new Set<[Socket, Socket]>();
  #plugged = true;
  /** Connections the device opened through the cable (its first attach and every re-attach). */
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<ControllerCable> {
    const holder: { cable?: ControllerCable } = {};
    const server = createServer((device) => holder.cable?.accept(device, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    holder.cable = new ControllerCable(server, (server.address() as AddressInfo).port);
    return holder.cable;
  }

  /** The device's transport setting. */
  get spec(): string {
    return `tcp:127.0.0.1:${this.port}`;
  }

  private accept(device: Socket, target: { host: string; port: number }): void {
    if (!this.#plugged) {
      device.destroy();
      return;
    }
    this.connections++;
    const controller = connect(target);
    const pair: [Socket, Socket] = [device, controller];
    this.#pairs.add(pair);
    const end = (): void => {
      device.destroy();
      controller.destroy();
      this.#pairs.delete(pair);
    };
    device.on('error', end).on('close', end);
    controller.on('error', end).on('close', end);
    device.pipe(controller);
    controller.pipe(device);
  }

  /** Kills every open device↔controller socket. */
  cut(): void {
    for (const [a, b] of [...this.#pairs]) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
  }

  unplug(): void {
    this.#plugged = false;
    this.cut();
  }

  plug(): void {
    this.#plugged = true;
  }

  async close(): Promise<void> {
    this.unplug();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
