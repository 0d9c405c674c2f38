/**
 * Socket accounting for the SoftAP HTTP server: a cap on open sockets, in all and per client
 * address, checked when a socket is accepted, before any byte is parsed. A socket over a cap is
 * answered at once with a coded refusal (429 RATE_LIMITED per address, 503 DEVICE_BUSY in all) and
 * closed, so slow or idle sockets cannot pile up, and nothing already open is cut for a newcomer.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_TABLE } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import type { ErrorBody } from '../client/index.js';

export interface SocketCaps {
  readonly maxSockets: number;
  readonly maxSocketsPerClient: number;
  /** Sent as Retry-After on a refusal, seconds. */
  readonly retryAfterS: number;
}

/** The whole HTTP answer to a refused socket: the server's error shape, then the connection closes. */
export function refusalBytes(status: 429 | 503, code: ErrorCode, detail: string, retryAfterS: number): Buffer {
  const body: ErrorBody = { error: { code, message: ERROR_TABLE[code].message, detail, retryAfterS } };
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const reason = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${json.length}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    `Retry-After: ${retryAfterS}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), json]);
}

export interface SocketGuard {
  /** Sockets held now (refused ones not counted). */
  readonly open: () => number;
  /** Sockets refused so far. */
  readonly refused: () => number;
  /** Whether a request arrived on a socket that was refused (its answer is already written). */
  readonly isRefused: (socket: Socket) => boolean;
}

/** Installs the caps on `server`; call before it listens. */
export function guardSockets(server: Server, caps: SocketCaps): SocketGuard {
  const perClient = new Map<string, number>();
  const refusedSockets = new WeakSet<Socket>();
  let open = 0;
  let refused = 0;
  // A hard stop far above the caps: beyond it node drops sockets without an answer.
  server.maxConnections = caps.maxSockets * 2 + caps.maxSocketsPerClient;
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? 'unknown';
    const mine = perClient.get(client) ?? 0;
    const over =
      mine >= caps.maxSocketsPerClient
        ? refusalBytes(
            429,
            'RATE_LIMITED',
            `too many open connections from this address (at most ${caps.maxSocketsPerClient})`,
            caps.retryAfterS,
          )
        : open >= caps.maxSockets
          ? refusalBytes(503, 'DEVICE_BUSY', `too many open connections (at most ${caps.maxSockets})`, caps.retryAfterS)
          : undefined;
    if (over) {
      refused++;
      refusedSockets.add(socket);
      socket.on('error', () => undefined);
      socket.end(over, () => socket.destroy());
      return;
    }
    open++;
    perClient.set(client, mine + 1);
    socket.once('close', () => {
      open--;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    });
  });
  return { open: () => open, refused: () => refused, isRefused: (s) => refusedSockets.has(s) };
}
