/**
 * One phone's HTTP connection: a GattConnection (the same code BLE runs, given transport 'softap')
 * plus what HTTP lacks: a bounded queue of notified frames served by long-poll, an expiry for
 * clients that went away, and a `closed` code once the device ends the link.
 */
import { isErrorCode } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';
import { GattConnection } from '../../peripheral/engine/index.js';
import type { ConnectionOptions } from '../../peripheral/engine/index.js';
import type { NotifyName, WritableName } from '../../central/engine/index.js';
import { NOTIFY_CHANNELS, toBase64Url } from '../client/index.js';
import type { NotificationBatch } from '../client/index.js';

export interface HttpConnectionOptions {
  readonly id: string;
  /** The client's address (rate limits, logs). */
  readonly client: string;
  readonly gatt: Omit<ConnectionOptions, 'disconnect' | 'log' | 'transport' | 'timers'>;
  readonly timers: Timers;
  readonly longPollMs: number;
  readonly idleMs: number;
  readonly lingerMs: number;
  readonly maxQueued: number;
  /** The connection is over and may be forgotten. */
  readonly onGone: (id: string) => void;
  readonly log?: (line: string) => void;
}

interface Queued {
  readonly seq: number;
  readonly channel: NotifyName;
  readonly frame: Uint8Array;
}

interface Waiter {
  readonly after: number;
  readonly respond: (batch: NotificationBatch) => void;
  readonly timer: unknown;
}

/** GattConnection logs `error CODE (detail)` right before it drops a link (after its error notice); that code becomes `closed.code`. */
const ERROR_LINE = /^ble: error ([A-Z0-9_]+)/;

export class HttpConnection {
  readonly id: string;
  readonly client: string;
  private readonly gatt: GattConnection;
  private queue: Queued[] = [];
  private nextSeq = 0;
  private waiter: Waiter | undefined;
  private idleTimer: unknown;
  private lingerTimer: unknown;
  private lastError: ErrorCode | undefined;
  private closedCode: string | undefined;
  private gone = false;
  private handshakeAt: number | undefined;

  constructor(private readonly options: HttpConnectionOptions) {
    this.id = options.id;
    this.client = options.client;
    const log = options.log;
    this.gatt = new GattConnection({
      ...options.gatt,
      timers: options.timers,
      transport: 'softap',
      // The error notice is queued before the end, so the long-poll delivers it first: no linger needed.
      noticeLingerMs: 0,
      disconnect: () => this.end(this.lastError ?? 'SESSION_CLOSED'),
      log: (line) => {
        const code = ERROR_LINE.exec(line)?.[1];
        if (code && isErrorCode(code)) this.lastError = code;
        log?.(`softap ${this.short}: ${line.replace(/^ble: /, '')}`);
      },
    });
    for (const channel of NOTIFY_CHANNELS) this.gatt.subscribe(channel, (frame) => this.push(channel, frame));
    this.touch();
  }

  /** The info bytes this connection's handshake binds (snapshot taken when it was created). */
  get info(): Uint8Array {
    return this.gatt.readInfo(0);
  }

  get closed(): boolean {
    return this.closedCode !== undefined;
  }

  /** Whether this connection holds a secure session (and so the agent). */
  get established(): boolean {
    return !this.closed && this.gatt.established;
  }

  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  /** A hello was posted at `at` (injected clock): the handshake it starts is protected from eviction. */
  startingHandshake(at: number): void {
    this.handshakeAt = at;
  }

  /**
   * Whether a newer connection may take this one's slot: not while it holds a session (a job) nor
   * while its handshake, started less than `holdMs` ago, is still running.
   */
  evictable(now: number, holdMs: number): boolean {
    if (this.closed) return true;
    if (this.established) return false;
    const inHandshake = this.gatt.handshaking && this.handshakeAt !== undefined && now - this.handshakeAt < holdMs;
    return !inHandshake;
  }

  /** One posted frame, handled in order after the previous ones. */
  async write(channel: WritableName, frame: Uint8Array): Promise<void> {
    this.touch();
    await this.gatt.write(channel, frame);
  }

  /**
   * Answers a notifications request: at once when frames with seq >= `after` are queued or the
   * connection is closed, else after LONG_POLL_MS with none. Frames below `after` are acknowledged
   * and dropped. Returns the cancel function for a client that aborts.
   */
  poll(after: number, respond: (batch: NotificationBatch) => void): () => void {
    this.touch();
    this.queue = this.queue.filter((q) => q.seq >= after);
    // A newer request replaces a waiting one (a reloaded page, a retried request): answer the old one empty.
    this.wake(true);
    if (this.queue.length > 0 || this.closed) {
      respond(this.batch(after));
      return () => undefined;
    }
    const timer = this.options.timers.setTimeout(() => this.wake(true), this.options.longPollMs);
    const waiter: Waiter = { after, respond, timer };
    this.waiter = waiter;
    return () => {
      if (this.waiter !== waiter) return;
      this.options.timers.clearTimeout(waiter.timer);
      this.waiter = undefined;
      this.touch();
    };
  }

  /** Ends the connection like a BLE disconnect; `code` is what the client's next poll reads. */
  end(code: string): void {
    if (this.closed) return;
    this.closedCode = code;
    this.options.timers.clearTimeout(this.idleTimer);
    this.gatt.close();
    this.options.log?.(`softap ${this.short}: connection ended (${code})`);
    this.wake(false);
    // The last notifications (the error that ended it) stay readable for a short while.
    this.lingerTimer = this.options.timers.setTimeout(() => this.forget(), this.options.lingerMs);
  }

  /** DELETE from the client: ends and forgets at once. */
  remove(): void {
    this.end('SESSION_CLOSED');
    this.forget();
  }

  /** Makes room for a newer connection: ends (DEVICE_BUSY, for a waiting poll) and forgets at once. */
  evict(): void {
    this.end('DEVICE_BUSY');
    this.forget();
  }

  private forget(): void {
    if (this.gone) return;
    this.gone = true;
    this.options.timers.clearTimeout(this.lingerTimer);
    this.options.timers.clearTimeout(this.idleTimer);
    if (this.waiter) this.wake(true);
    this.queue = [];
    this.options.onGone(this.id);
  }

  private push(channel: NotifyName, frame: Uint8Array): void {
    if (this.closed) return;
    if (this.queue.length >= this.options.maxQueued) {
      // The client stopped reading: a BLE link would have dropped long ago.
      this.lastError = 'LINK_LOST';
      this.end('LINK_LOST');
      return;
    }
    this.queue.push({ seq: this.nextSeq++, channel, frame });
    this.wake(false);
  }

  /** Answers the waiting request, if any: with what is queued, or empty when `empty` says so. */
  private wake(empty: boolean): void {
    const w = this.waiter;
    if (!w) return;
    const batch = this.batch(w.after);
    if (!empty && batch.items.length === 0 && !batch.closed) return;
    this.options.timers.clearTimeout(w.timer);
    this.waiter = undefined;
    w.respond(empty && !this.closed ? { next: Math.min(Math.max(w.after, 0), this.nextSeq), items: [] } : batch);
  }

  private batch(after: number): NotificationBatch {
    const items = this.queue.filter((q) => q.seq >= after);
    const last = items.at(-1);
    const next = last ? last.seq + 1 : Math.min(Math.max(after, 0), this.nextSeq);
    return {
      next,
      items: items.map((q) => ({ channel: q.channel, frame: toBase64Url(q.frame) })),
      ...(this.closedCode !== undefined ? { closed: { code: this.closedCode } } : {}),
    };
  }

  private touch(): void {
    if (this.closed) return;
    this.options.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.options.timers.setTimeout(() => this.idle(), this.options.idleMs);
  }

  private idle(): void {
    if (this.closed) return;
    // A client holding a long-poll is present; it gets a fresh period when that request ends.
    if (this.waiter) return this.touch();
    this.options.log?.(`softap ${this.short}: client gone (no request for ${this.options.idleMs} ms)`);
    this.end('SESSION_TIMEOUT');
    this.forget();
  }

  private get short(): string {
    return this.id.slice(0, 6);
  }
}
