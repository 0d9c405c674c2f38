/**
 * The SoftAP HTTP API contract shared by the device's server and the phone's fetch client
 * (softap-fallback/server/README.md). Plain data and pure helpers: no Node or DOM APIs, so the
 * browser bundle can import it too.
 */
import type { NotifyName, WritableName } from '../../central/engine/index.js';

export const API_PREFIX = '/api/v1';

/** Header every POST/DELETE carries: a cross-origin browser must preflight it, which the device never allows. */
export const CLIENT_HEADER = 'X-Provisioning-Client';
export const CLIENT_HEADER_VALUE = '1';

/** Content type of every frame body and of the info bytes. */
export const FRAME_CONTENT_TYPE = 'application/octet-stream';

/** Channels the phone posts frames on (the BLE characteristics it writes). */
export const WRITABLE_CHANNELS: readonly WritableName[] = ['session', 'wifi', 'claim', 'control'];
/** Channels the device sends notifications on. */
export const NOTIFY_CHANNELS: readonly NotifyName[] = ['session', 'status', 'scan'];

export const apiPath = {
  info: `${API_PREFIX}/info`,
  claimDefaults: `${API_PREFIX}/claim-defaults`,
  connections: `${API_PREFIX}/connections`,
  connection: (id: string): string => `${API_PREFIX}/connections/${encodeURIComponent(id)}`,
  connectionInfo: (id: string): string => `${API_PREFIX}/connections/${encodeURIComponent(id)}/info`,
  frames: (id: string, channel: WritableName): string =>
    `${API_PREFIX}/connections/${encodeURIComponent(id)}/frames/${channel}`,
  notifications: (id: string, after: number): string =>
    `${API_PREFIX}/connections/${encodeURIComponent(id)}/notifications?after=${after}`,
} as const;

/** 201 answer of POST /connections. */
export interface CreatedConnection {
  readonly id: string;
  /** Frame size limit of this link, bytes (the DeviceLink's attPayload). */
  readonly attPayload: number;
  /** How long a notifications request may wait before it answers empty, ms. */
  readonly longPollMs: number;
}

export interface NotificationItem {
  readonly channel: NotifyName;
  /** One frame, base64url without padding. */
  readonly frame: string;
}

/** 200 answer of GET /connections/:id/notifications. */
export interface NotificationBatch {
  /** The `after` to ask with next. */
  readonly next: number;
  readonly items: readonly NotificationItem[];
  /** Present once the device ended the connection; the items before it are still delivered. */
  readonly closed?: { readonly code: string };
}

/** Body of every HTTP-level failure. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly detail?: string;
    readonly retryAfterS?: number;
  };
}

/** GET /claim-defaults: what the page pre-fills (not secret). */
export interface ClaimDefaults {
  readonly host: string;
  readonly port: number;
  readonly templateName: string;
  readonly parameters?: Readonly<Record<string, string>>;
}
