/**
 * The phone's {@link DeviceLink} over the device's SoftAP HTTP API (softap-fallback/server/README.md):
 * frames are POSTed one per request, notifications come back through a long-poll loop. Runs in
 * browsers and in Node 20 (global fetch only: no node:* imports, no Buffer), so DeviceSession and
 * provisionDevice run over it unchanged.
 *
 * It keeps the event order a BLE link has, which DeviceSession relies on: every notified frame is
 * its own task (one long-poll answer may carry the handshake's last message and the first sealed
 * status; decoded in one loop, the status would arrive before the session keys are installed), and
 * nothing is delivered while a write is in flight (over HTTP a long-poll answer can overtake the
 * POST's 204; over BLE a notification never overtakes the write's acknowledgement). A drop is
 * delivered after the frames before it.
 */
import { systemTimers } from '../../central/engine/index.js';
import type { DeviceLink, NotifyName, WritableName } from '../../central/engine/index.js';
import { isErrorCode, ProvisioningError } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';
import { apiPath, CLIENT_HEADER, CLIENT_HEADER_VALUE, FRAME_CONTENT_TYPE, NOTIFY_CHANNELS } from './api.js';
import type { CreatedConnection, ErrorBody, NotificationBatch } from './api.js';
import { fromBase64Url } from './base64url.js';

/** A request (other than the long-poll) that takes longer than this fails with LINK_LOST, ms. */
export const HTTP_REQUEST_TIMEOUT_MS = 15_000;
/** Extra time a long-poll may take beyond the device's own wait before the link counts as lost, ms. */
export const LONG_POLL_GRACE_MS = 10_000;

export interface ConnectHttpOptions {
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
  /** Timers for request timeouts (default the global ones). */
  readonly timers?: Timers;
}

type Fetch = typeof fetch;

/** What one link has moved, for figures: requests made and frame bytes each way. */
export interface HttpLinkCounters {
  requests: number;
  frameBytesOut: number;
  frameBytesIn: number;
}

/** The link {@link connectHttp} returns: a DeviceLink with its counters. */
export interface HttpDeviceLinkApi extends DeviceLink {
  readonly counters: HttpLinkCounters;
}

/** The HTTP failure as the product's error: the server's code when it sent one. */
export async function errorFromResponse(res: Response): Promise<ProvisioningError> {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  const code = body?.error?.code;
  const detail = typeof body?.error?.detail === 'string' ? body.error.detail : undefined;
  if (isErrorCode(code)) return new ProvisioningError(code, detail ? { detail } : {});
  return new ProvisioningError(res.status === 404 ? 'LINK_LOST' : 'INTERNAL', {
    detail: `HTTP ${res.status} from the device's setup network server`,
  });
}

function linkLost(err: unknown, what: string): ProvisioningError {
  if (err instanceof ProvisioningError) return err;
  return new ProvisioningError('LINK_LOST', {
    detail: `HTTP to the device's setup network, ${what}: ${err instanceof Error ? err.message : String(err)}`,
    cause: err,
  });
}

class HttpDeviceLink implements HttpDeviceLinkApi {
  private readonly listeners = new Map<NotifyName, Array<(frame: Uint8Array) => void>>();
  private readonly dropListeners: Array<() => void> = [];
  private readonly poller = new AbortController();
  private closing = false;
  private dropped = false;
  /** Notifications and the drop, in order, waiting for their own task. */
  private events: Array<() => void> = [];
  private writing = 0;
  private scheduled = false;
  /** Sequence number to ask the device for next. */
  private after = 0;
  /** Requests made and their bytes (frame bodies), for figures. */
  readonly counters: HttpLinkCounters = { requests: 1, frameBytesOut: 0, frameBytesIn: 0 };

  constructor(
    private readonly base: string,
    private readonly created: CreatedConnection,
    private readonly fetchFn: Fetch,
    private readonly timers: NonNullable<ConnectHttpOptions['timers']>,
  ) {
    for (const n of NOTIFY_CHANNELS) this.listeners.set(n, []);
    void this.pollLoop();
  }

  get attPayload(): number {
    return this.created.attPayload;
  }

  async readInfo(): Promise<Uint8Array> {
    const res = await this.request(apiPath.connectionInfo(this.created.id), { method: 'GET' });
    return new Uint8Array(await res.arrayBuffer());
  }

  async write(name: WritableName, frame: Uint8Array): Promise<void> {
    if (this.dropped || this.closing) throw new ProvisioningError('LINK_LOST', { detail: 'the connection has ended' });
    this.writing++;
    try {
      // A fresh copy: fetch may keep the body, and the caller's buffer is its own.
      await this.request(apiPath.frames(this.created.id, name), {
        method: 'POST',
        headers: { 'Content-Type': FRAME_CONTENT_TYPE },
        body: new Uint8Array(frame),
      });
    } finally {
      this.writing--;
      this.pump();
    }
    this.counters.frameBytesOut += frame.length;
  }

  onFrame(name: NotifyName, listener: (frame: Uint8Array) => void): void {
    this.listeners.get(name)?.push(listener);
  }

  onDrop(listener: () => void): void {
    this.dropListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.events = [];
    this.poller.abort();
    if (this.dropped) return;
    // Fails when the device already forgot the connection or the phone left its AP: closed either way.
    await this.request(apiPath.connection(this.created.id), { method: 'DELETE' }).catch(() => undefined);
  }

  /** One request with the client header and a timeout; a 404 means the device ended the connection. */
  private async request(
    path: string,
    init: RequestInit,
    timeoutMs = HTTP_REQUEST_TIMEOUT_MS,
    signal?: AbortSignal,
  ): Promise<Response> {
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort();
    signal?.addEventListener('abort', onOuterAbort);
    const timer = this.timers.setTimeout(() => abort.abort(), timeoutMs);
    this.counters.requests++;
    let res: Response;
    try {
      res = await this.fetchFn(new URL(path, this.base), {
        ...init,
        signal: abort.signal,
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { ...(init.headers as Record<string, string> | undefined), [CLIENT_HEADER]: CLIENT_HEADER_VALUE },
      });
    } catch (err) {
      if (signal?.aborted) throw new ProvisioningError('LINK_LOST', { detail: 'closed' });
      const lost = linkLost(err, abort.signal.aborted ? `no answer within ${timeoutMs} ms` : 'request failed');
      this.drop();
      throw lost;
    } finally {
      this.timers.clearTimeout(timer);
      signal?.removeEventListener('abort', onOuterAbort);
    }
    if (res.ok) return res;
    const error = await errorFromResponse(res);
    if (res.status === 404) this.drop();
    throw error;
  }

  private async pollLoop(): Promise<void> {
    const wait = this.created.longPollMs + LONG_POLL_GRACE_MS;
    while (!this.closing && !this.dropped) {
      let batch: NotificationBatch;
      try {
        const res = await this.request(
          apiPath.notifications(this.created.id, this.after),
          { method: 'GET' },
          wait,
          this.poller.signal,
        );
        batch = (await res.json()) as NotificationBatch;
      } catch {
        // request() has already reported a drop (404, network); a close needs nothing more.
        if (!this.closing) this.drop();
        return;
      }
      if (this.closing) return;
      for (const item of batch.items ?? []) {
        let frame: Uint8Array;
        try {
          frame = fromBase64Url(item.frame);
        } catch {
          this.drop();
          return;
        }
        this.counters.frameBytesIn += frame.length;
        const listeners = this.listeners.get(item.channel) ?? [];
        this.deliver(() => {
          for (const l of listeners) l(frame);
        });
      }
      if (typeof batch.next === 'number' && batch.next >= this.after) this.after = batch.next;
      if (batch.closed) {
        this.drop();
        return;
      }
    }
  }

  /** Tells the session the link is gone (after the frames before it), once, unless the phone closed it itself. */
  private drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.poller.abort();
    if (this.closing) return;
    this.deliver(() => {
      for (const l of this.dropListeners.splice(0)) l();
    });
  }

  private deliver(event: () => void): void {
    this.events.push(event);
    this.pump();
  }

  /** Runs the next event in a task of its own, when no write is in flight. */
  private pump(): void {
    if (this.scheduled || this.writing > 0 || this.events.length === 0) return;
    this.scheduled = true;
    // A task, not a microtask: what the previous event started runs to its next await first.
    globalThis.setTimeout(() => {
      this.scheduled = false;
      if (this.writing > 0 || this.closing) return;
      this.events.shift()?.();
      this.pump();
    }, 0);
  }
}

/**
 * Opens a connection to the device at `baseUrl` (e.g. http://10.0.0.1/) and returns its link.
 * Fails with the device's code (DEVICE_BUSY, RATE_LIMITED, SESSION_LOCKED_OUT, …) or LINK_LOST.
 */
export async function connectHttp(baseUrl: string, options: ConnectHttpOptions = {}): Promise<HttpDeviceLinkApi> {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timers = options.timers ?? systemTimers;
  const base = new URL(baseUrl).href;
  const abort = new AbortController();
  const timer = timers.setTimeout(() => abort.abort(), HTTP_REQUEST_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetchFn(new URL(apiPath.connections, base), {
      method: 'POST',
      signal: abort.signal,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { [CLIENT_HEADER]: CLIENT_HEADER_VALUE },
    });
  } catch (err) {
    throw linkLost(err, `could not reach the device at ${base}`);
  } finally {
    timers.clearTimeout(timer);
  }
  if (res.status !== 201) throw await errorFromResponse(res);
  const created = (await res.json()) as Partial<CreatedConnection>;
  if (
    typeof created.id !== 'string' ||
    typeof created.attPayload !== 'number' ||
    typeof created.longPollMs !== 'number'
  ) {
    throw new ProvisioningError('MESSAGE_INVALID', { detail: 'the device answered an unexpected connection document' });
  }
  return new HttpDeviceLink(base, created as CreatedConnection, fetchFn, timers);
}
