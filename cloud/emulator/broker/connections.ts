/**
 * The broker's connections: what it knows of each (the certificate presented at TLS, the principal
 * once authenticated, the topic filters subscribed), keyed by the stream aedes handles, and the set
 * of clients connected now.
 */
import type { Client } from 'aedes';
import { setDisconnectReason } from './mqtt5-bridge.js';
import type { ConnectionPrincipal } from './principal.js';

export interface Connection {
  certificateId: string;
  principal?: ConnectionPrincipal;
  /** Topic filters subscribed (or being subscribed), for the per-connection limit. */
  subscribed: Set<string>;
}

export class ConnectionTable {
  private readonly byStream = new WeakMap<object, Connection>();
  private readonly live = new Set<Client>();
  /**
   * The live clients by client id: a CONNECT looks its id up instead of scanning every client.
   * Arrays, not sets: an id almost always has one client, and this is held per connection.
   */
  private readonly liveById = new Map<string, Client[]>();

  /** A stream was accepted with this client certificate. */
  open(stream: object, certificateId: string): Connection {
    const conn: Connection = { certificateId, subscribed: new Set() };
    this.byStream.set(stream, conn);
    return conn;
  }

  of(client: Client | null): Connection | undefined {
    return client ? this.byStream.get(client.conn) : undefined;
  }

  /** The client finished connecting. */
  ready(client: Client): void {
    if (this.live.has(client)) return;
    this.live.add(client);
    const same = this.liveById.get(client.id);
    if (same) same.push(client);
    else this.liveById.set(client.id, [client]);
  }

  /** The client disconnected. */
  gone(client: Client): void {
    if (!this.live.delete(client)) return;
    const same = this.liveById.get(client.id);
    if (!same) return;
    same.splice(same.indexOf(client), 1);
    if (same.length === 0) this.liveById.delete(client.id);
  }

  /** The certificate ids of the clients connected now. */
  certificateIds(): Set<string> {
    const ids = new Set<string>();
    for (const client of this.live) {
      const conn = this.of(client);
      if (conn) ids.add(conn.certificateId);
    }
    return ids;
  }

  get connected(): number {
    return this.live.size;
  }

  /** Connected clients other than `client` using its client id (it takes their session over). */
  sameClientId(client: Client): Client[] {
    return (this.liveById.get(client.id) ?? []).filter((other) => other !== client);
  }

  /**
   * Closes every connected client whose connection `matches`, telling MQTT 5 clients `reason`;
   * returns how many were closed.
   */
  closeWhere(matches: (conn: Connection | undefined) => boolean, reason: number): number {
    let n = 0;
    for (const client of this.live) {
      if (!matches(this.of(client))) continue;
      this.gone(client);
      setDisconnectReason(client.conn, reason);
      client.close();
      n++;
    }
    return n;
  }
}
