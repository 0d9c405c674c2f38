/**
 * The phone connections the SoftAP server holds: who may open one, who makes room when all slots
 * are taken, and the agent each one's GattConnection sees. Knows nothing of HTTP requests (app.ts).
 */
import type { ProvisioningAgent } from '../../peripheral/agent/index.js';
import type { Timers, Clock } from '../../protocol/index.js';
import { ProtocolError } from '../../protocol/index.js';
import type { AttemptLimiter, RandomSource, SetupVerifier } from '../../protocol/session/index.js';
import { toBase64Url } from '../client/index.js';
import { HttpConnection } from './http-connection.js';
import { HttpFailure } from './http-error.js';
import * as L from './limits.js';
import type { SoftApLimits } from './limits.js';

export interface ConnectionPoolOptions {
  readonly agent: ProvisioningAgent;
  readonly verifier: SetupVerifier;
  readonly attempts: AttemptLimiter;
  /** The current info bytes; each connection snapshots them when it opens. */
  readonly info: () => Uint8Array;
  readonly random: RandomSource;
  readonly now: Clock;
  readonly timers: Timers;
  readonly limits: SoftApLimits;
  readonly log?: (line: string) => void;
}

export class ConnectionPool {
  /** Live (and lingering) connections by id. */
  readonly connections = new Map<string, HttpConnection>();

  constructor(private readonly options: ConnectionPoolOptions) {}

  /** The connection with this id, or 404 LINK_LOST. */
  get(id: string): HttpConnection {
    const c = this.connections.get(id);
    if (!c) throw new HttpFailure(404, 'LINK_LOST', 'no such connection (closed or expired)');
    return c;
  }

  /** Whether a connection from this address holds a session (it may take the device over again). */
  holdsSession(client: string): boolean {
    return this.sessionHolders().some((c) => c.client === client);
  }

  /** Opens a connection for this client address, making room first when every slot is taken. */
  open(client: string): HttpConnection {
    const { options } = this;
    const { limits, log } = options;
    if (this.connections.size >= limits.maxConnections) this.makeRoom(client);
    const id = toBase64Url(options.random(L.CONNECTION_ID_BYTES));
    const conn: HttpConnection = new HttpConnection({
      id,
      client,
      gatt: {
        agent: this.agentFor(() => conn),
        verifier: options.verifier,
        attempts: options.attempts,
        // Snapshot: the bytes the phone reads are the bytes the handshake binds.
        info: options.info(),
        random: options.random,
        now: options.now,
        idleTimeoutMs: limits.sessionIdleMs,
        attPayload: L.SOFTAP_ATT_PAYLOAD,
      },
      timers: options.timers,
      longPollMs: limits.longPollMs,
      idleMs: limits.connectionIdleMs,
      lingerMs: limits.closedLingerMs,
      maxQueued: limits.maxQueuedNotifications,
      onGone: (gone) => this.connections.delete(gone),
      ...(log ? { log } : {}),
    });
    this.connections.set(id, conn);
    log?.(`softap ${id.slice(0, 6)}: connection from ${client}`);
    return conn;
  }

  /** Ends every connection (server shutdown). */
  closeAll(): void {
    for (const c of [...this.connections.values()]) c.remove();
  }

  private sessionHolders(): HttpConnection[] {
    return [...this.connections.values()].filter((c) => c.established);
  }

  /**
   * The agent as one connection's GattConnection sees it: opening a session first ends a session
   * this client's address still holds over HTTP (its earlier connection, gone silent), and refuses
   * (DEVICE_BUSY) while another address holds one. Only the members GattConnection uses.
   */
  private agentFor(self: () => HttpConnection): ProvisioningAgent {
    const agent = this.options.agent;
    const view: Pick<ProvisioningAgent, 'openSession' | 'status' | 'onStatus' | 'state'> = {
      openSession: (transport) => {
        const me = self();
        for (const other of this.sessionHolders()) {
          if (other === me) continue;
          if (other.client !== me.client)
            throw new ProtocolError('DEVICE_BUSY', { detail: 'another phone is connected over softap' });
          other.end('DEVICE_BUSY');
        }
        return agent.openSession(transport);
      },
      status: () => agent.status(),
      onStatus: (listener) => agent.onStatus(listener),
      get state() {
        return agent.state;
      },
    };
    return view as ProvisioningAgent;
  }

  /**
   * Full: the oldest connection that is neither in a session nor in its handshake makes room
   * (closed ones first, then the newcomer's own address), so idle or unauthenticated connections
   * cannot keep the owner of the setup code out, and a flood cannot cut a handshake or a job.
   */
  private makeRoom(client: string): void {
    const now = this.options.now();
    const all = [...this.connections.values()];
    const evictable = all.filter((c) => c.evictable(now, this.options.limits.handshakeHoldMs));
    const victim = evictable.find((c) => c.closed) ?? evictable.find((c) => c.client === client) ?? evictable[0];
    if (!victim) throw new HttpFailure(503, 'DEVICE_BUSY', 'every connection slot is in a handshake or a session', 1);
    victim.evict();
  }
}
