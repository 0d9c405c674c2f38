/** Limits of the SoftAP HTTP server; softap-fallback/server/README.md lists them. */
import { MAX_ATT_PAYLOAD } from '../../protocol/index.js';
import { SESSION_IDLE_TIMEOUT_MS } from '../../peripheral/engine/index.js';

/**
 * Frame size over HTTP, bytes. protocol/framing.ts caps a frame at MAX_ATT_PAYLOAD (512, the ATT
 * attribute limit) and protocol/ is shared, so HTTP uses the largest frame the framing accepts: a
 * claim (about 3 KiB sealed) is 7 frames, everything else one.
 */
export const SOFTAP_ATT_PAYLOAD = MAX_ATT_PAYLOAD;
/** Largest request body on a frame route, bytes: one frame. */
export const MAX_FRAME_BODY_BYTES = SOFTAP_ATT_PAYLOAD;
/** Longest request URL, characters (ids are 22, channels short; anything longer is hostile). */
export const MAX_URL_CHARS = 256;

/** A notifications request with nothing to deliver answers empty after this, ms (below common proxy/browser idle limits). */
export const LONG_POLL_MS = 25_000;
/** Notification frames a connection holds for its client, items; more means the client stopped polling: the connection ends. */
export const MAX_QUEUED_NOTIFICATIONS = 64;
/**
 * HTTP connections held at once (one phone needs one; a few spare for reloads and a retry). When
 * full, a new one evicts the oldest that is neither in a session nor in its handshake (the
 * newcomer's own address first); when every slot is protected: DEVICE_BUSY.
 */
export const MAX_CONNECTIONS = 4;
/**
 * A connection whose handshake started (hello answered) this recently is not evicted, ms. SPAKE2+
 * takes well under a second here; the bound keeps a stalled handshake from holding a slot forever.
 */
export const HANDSHAKE_HOLD_MS = 30_000;
/**
 * A connection whose client made no request and holds no long-poll for this long is gone (the
 * phone left the AP or the tab closed), ms. Longer than LONG_POLL_MS so a polling client never expires.
 */
export const CONNECTION_IDLE_MS = 45_000;
/** After the device ends a connection, its last notifications (and `closed`) stay readable this long, ms. */
export const CLOSED_LINGER_MS = 10_000;

/** Connection creations per client address: bucket size (burst) and refill, one per REFILL ms. */
export const CONNECT_BURST = 10;
export const CONNECT_REFILL_MS = 3_000;
/**
 * Handshakes started (hello frames on `session`) per client address: burst and refill, one per
 * REFILL ms. The attempt limiter (shared with BLE) bounds wrong codes; this bounds the work.
 */
export const HANDSHAKE_BURST = 10;
export const HANDSHAKE_REFILL_MS = 3_000;
/** Client addresses the rate limiter remembers; the oldest is forgotten first. */
export const MAX_TRACKED_CLIENTS = 256;

/** Connection ids: random bytes (128 bits), written base64url (22 characters). */
export const CONNECTION_ID_BYTES = 16;
/** Largest page asset the server accepts from the page bundle, bytes (a sanity bound, not a client input). */
export const MAX_PAGE_ASSET_BYTES = 4 * 1024 * 1024;

/**
 * Node's HTTP server: a request's headers must arrive within HEADERS_TIMEOUT_MS and the whole
 * request within REQUEST_TIMEOUT_MS (above LONG_POLL_MS). Node checks both only every
 * CONNECTIONS_CHECK_INTERVAL_MS (its default is 30 s, which let slow-header sockets live ~36 s),
 * so a socket is cut at most this much past its limit.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 60_000;
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;
/** Largest request head, bytes. */
export const MAX_HEADER_BYTES = 8 * 1024;
/**
 * Open sockets at once, all clients (slow or idle ones included); more get 503 DEVICE_BUSY at once
 * and are closed. A phone's browser opens at most 6 per origin.
 */
export const MAX_SOCKETS = 32;
/** Open sockets per client address; more get 429 RATE_LIMITED at once and are closed. */
export const MAX_SOCKETS_PER_CLIENT = 8;
/** When a refused socket may try again, seconds (about when a slow socket is cut). */
export const SOCKET_RETRY_AFTER_S = 10;

/** Limits a device (or a test) may tune; the defaults are the constants above. */
export interface SoftApLimits {
  readonly longPollMs: number;
  readonly connectionIdleMs: number;
  readonly sessionIdleMs: number;
  readonly closedLingerMs: number;
  readonly maxConnections: number;
  readonly handshakeHoldMs: number;
  readonly maxQueuedNotifications: number;
  readonly connectBurst: number;
  readonly connectRefillMs: number;
  readonly handshakeBurst: number;
  readonly handshakeRefillMs: number;
}

export const DEFAULT_SOFTAP_LIMITS: SoftApLimits = {
  longPollMs: LONG_POLL_MS,
  connectionIdleMs: CONNECTION_IDLE_MS,
  sessionIdleMs: SESSION_IDLE_TIMEOUT_MS,
  closedLingerMs: CLOSED_LINGER_MS,
  maxConnections: MAX_CONNECTIONS,
  handshakeHoldMs: HANDSHAKE_HOLD_MS,
  maxQueuedNotifications: MAX_QUEUED_NOTIFICATIONS,
  connectBurst: CONNECT_BURST,
  connectRefillMs: CONNECT_REFILL_MS,
  handshakeBurst: HANDSHAKE_BURST,
  handshakeRefillMs: HANDSHAKE_REFILL_MS,
};
