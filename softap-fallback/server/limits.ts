/** Limits of the SoftAP HTTP server; softap-fallback/server/README.md lists them. */
import { MAX_ATT_PAYLOAD } from '../../protocol/gatt.js';

/**
 * Frame size over HTTP, bytes. protocol/framing.ts caps a frame at MAX_ATT_PAYLOAD (512, the ATT
 * attribute limit) and protocol/ is shared, so HTTP uses the largest frame the framing accepts: a
 * claim (about 3 KiB sealed) is 7 frames, everything else one.
 */
export const SOFTAP_ATT_PAYLOAD = MAX_ATT_PAYLOAD;
/** Largest request body on a frame route, bytes: one frame. */
export const MAX_FRAME_BODY_BYTES = SOFTAP_ATT_PAYLOAD;
/** Largest request body on every other route, bytes (they take none). */
export const MAX_EMPTY_BODY_BYTES = 0;
/** Longest request URL, characters (ids are 22, channels short; anything longer is hostile). */
export const MAX_URL_CHARS = 256;

/** A notifications request with nothing to deliver answers empty after this, ms (below common proxy/browser idle limits). */
export const LONG_POLL_MS = 25_000;
/** Notification frames a connection holds for its client, items; more means the client stopped polling: the connection ends. */
export const MAX_QUEUED_NOTIFICATIONS = 64;
/**
 * HTTP connections held at once (one phone needs one; a few spare for reloads and a retry). When
 * full, a new one evicts the oldest that holds no session; with every slot in a session: DEVICE_BUSY.
 */
export const MAX_CONNECTIONS = 4;
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
