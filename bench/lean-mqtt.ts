/**
 * The cloud bench's simulated devices: a minimal MQTT 3.1.1 client over mutual TLS. The bench
 * measures the emulator, and its load generator shares the machine's two cores with it; mqtt.js
 * (a store, timers and several streams per client) cost the generator about as much CPU per
 * registration as the emulator's whole certificate issuance. This client does only what a device
 * does in the fleet flow: CONNECT, SUBSCRIBE, PUBLISH at QoS 1, PUBACK what it receives at QoS 1,
 * DISCONNECT. The TLS connection is made exactly as the TLS ceiling's client makes it
 * (cloud-tls-ceiling.ts): a fresh context from PEM, a full handshake, the server's name checked.
 */
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import type { IPublishPacket, Packet } from 'mqtt-packet';

export interface LeanConnectOptions {
  host: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
  clientId: string;
  /** Seconds. The bench's runs end well within 1.5 × this, so the client sends no PINGREQ. */
  keepalive: number;
  /** Milliseconds for the handshake and CONNACK, and for each reply. */
  timeoutMs: number;
}

type Waiter = { resolve: (p: Packet) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class LeanMqttClient {
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private nextMessageId = 1;
  /** Who waits for which packet: 'connack', `suback:<id>`, or `topic:<request topic>` for a reply. */
  private readonly waiters = new Map<string, Waiter>();
  private closedWith: Error | undefined;

  private constructor(
    private readonly socket: tls.TLSSocket,
    private readonly timeoutMs: number,
  ) {
    this.parser.on('packet', (p: Packet) => this.onPacket(p));
    this.parser.on('error', (e: Error) => this.fail(e));
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('error', (e: Error) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects, sends CONNECT (clean session) and resolves on a successful CONNACK. */
  static connect(o: LeanConnectOptions): Promise<LeanMqttClient> {
    const socket = tls.connect({ host: o.host, port: o.port, ca: o.ca, cert: o.cert, key: o.key });
    const client = new LeanMqttClient(socket, o.timeoutMs);
    const connack = client.expect('connack', 'CONNACK');
    socket.once('secureConnect', () =>
      client.send({ cmd: 'connect', clientId: o.clientId, clean: true, keepalive: o.keepalive, protocolVersion: 4 }),
    );
    return connack.then(
      (p) => {
        const code = (p as { returnCode?: number }).returnCode ?? 0;
        if (code === 0) return client;
        client.destroy();
        throw new Error(`CONNACK refused the connection (return code ${code})`);
      },
      (e: unknown) => {
        client.destroy();
        throw e;
      },
    );
  }

  /** Subscribes to `filters` at QoS 1 in one SUBSCRIBE; resolves on a SUBACK that grants them all. */
  async subscribe(filters: string[]): Promise<void> {
    const messageId = this.messageId();
    const suback = this.expect(`suback:${messageId}`, 'SUBACK');
    this.send({ cmd: 'subscribe', messageId, subscriptions: filters.map((topic) => ({ topic, qos: 1 })) });
    const granted = ((await suback) as { granted: number[] }).granted;
    if (granted.some((g) => g === 0x80)) throw new Error(`SUBACK refused a filter of ${filters.join(', ')}`);
  }

  /**
   * Publishes `body` as JSON at QoS 1 on `topic` and resolves with the parsed reply published on
   * `topic/accepted`; a reply on `topic/rejected` rejects with its errorCode and errorMessage.
   */
  async request(topic: string, body: object): Promise<Record<string, string>> {
    const reply = this.expect(`topic:${topic}`, `a reply on ${topic}`);
    this.send({
      cmd: 'publish',
      topic,
      payload: Buffer.from(JSON.stringify(body)),
      qos: 1,
      messageId: this.messageId(),
      retain: false,
      dup: false,
    });
    const p = (await reply) as IPublishPacket;
    const parsed = JSON.parse(p.payload.toString()) as Record<string, string>;
    if (p.topic.endsWith('/rejected')) throw new Error(`${parsed.errorCode}: ${parsed.errorMessage}`);
    return parsed;
  }

  /** Sends DISCONNECT and resolves once the connection has closed. */
  disconnect(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onPacket(p: Packet): void {
    if (p.cmd === 'connack') this.settle('connack', p);
    else if (p.cmd === 'suback') this.settle(`suback:${p.messageId}`, p);
    else if (p.cmd === 'publish') {
      if (p.qos === 1 && p.messageId !== undefined) this.send({ cmd: 'puback', messageId: p.messageId });
      const slash = p.topic.lastIndexOf('/');
      this.settle(`topic:${p.topic.slice(0, slash)}`, p);
    }
  }

  private expect(key: string, what: string): Promise<Packet> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`no ${what} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.set(key, { resolve, reject, timer });
    });
  }

  private settle(key: string, p: Packet): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    clearTimeout(w.timer);
    w.resolve(p);
  }

  private fail(e: Error): void {
    this.closedWith ??= e;
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.waiters.clear();
  }

  private send(p: Packet): void {
    this.socket.write(mqttPacket.generate(p));
  }

  private messageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id === 0xffff ? 1 : id + 1;
    return id;
  }
}
