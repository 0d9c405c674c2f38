/**
 * Persistent sessions expire as AWS's do: a client with clean session off keeps its subscriptions
 * for a while after it disconnects (AWS IoT Core quotas, "Persistent session expiry period": 1 hour
 * by default), then they are freed unless the client id reconnected. Clean sessions are freed by
 * aedes on disconnect.
 */
import type { Client } from 'aedes';
import type { SessionStore } from './aedes-internals.js';

export class PersistentSessions {
  private readonly expiry = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: SessionStore,
    private readonly expiryMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** A client connected: a session kept for its client id is in use again. */
  resumed(clientId: string): void {
    clearTimeout(this.expiry.get(clientId));
    this.expiry.delete(clientId);
  }

  /** A client disconnected: its persistent session (if any) expires after `expiryMs`. */
  disconnected(client: Client): void {
    if (client.clean || !client.id) return;
    const id = client.id;
    clearTimeout(this.expiry.get(id));
    const timer = setTimeout(() => {
      this.expiry.delete(id);
      // A failed clean-up leaves the expired session's subscriptions behind: say so, never swallow it.
      void this.store
        .cleanSubscriptions({ id })
        .catch((err: unknown) =>
          this.log(`broker: could not expire the session of ${JSON.stringify(id)}: ${String(err)}`),
        );
    }, this.expiryMs);
    timer.unref();
    this.expiry.set(id, timer);
  }

  /** QoS 1 subscriptions held in the session store (connected and persistent sessions). */
  async storedSubscriptions(): Promise<number> {
    return (await this.store.countOffline()).subsCount;
  }

  stop(): void {
    for (const t of this.expiry.values()) clearTimeout(t);
  }
}
