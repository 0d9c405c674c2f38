/**
 * Opens a packet link to an HCI controller for a transport spec: H4 bytes over TCP, a unix socket
 * or a UART, or a controller on the in-process virtual air. Every byte stream is re-framed so that
 * the link hands out exactly one complete H4 packet at a time.
 */
import { execFileSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { ReadStream } from 'node:tty';
import type { Air } from '../air/index.js';
import { H4Framer } from '../h4/index.js';
import type { TransportSpec } from './spec.js';

export interface PacketLink {
  send(packet: Buffer): void;
  close(): void;
}

export interface PacketLinkHandlers {
  onPacket(packet: Buffer): void;
  /** Called once when the link ends; `error` when it failed rather than closed. */
  onClose(error?: Error): void;
}

/** Where `virtual` attaches: set by the loader (defaults to the process's default air). */
export type AirProvider = () => Air;

export function openPacketLink(
  spec: TransportSpec,
  handlers: PacketLinkHandlers,
  airProvider: AirProvider,
): PacketLink {
  switch (spec.kind) {
    case 'virtual':
      return openVirtual(airProvider(), handlers);
    case 'tcp':
      return openStream(connect({ host: spec.host, port: spec.port }), handlers, true);
    case 'unix':
      return openStream(connect({ path: spec.path }), handlers, false);
    case 'serial':
      return openSerial(spec.path, spec.baud, spec.flowControl, handlers);
    case 'native':
      throw new Error('hciN is served by the native socket, not a packet link');
  }
}

function openVirtual(air: Air, h: PacketLinkHandlers): PacketLink {
  let open = true;
  const controller = air.attach((packet) => {
    if (open) h.onPacket(packet);
  });
  return {
    send: (packet) => {
      if (open) controller.receive(packet);
    },
    close: () => {
      if (!open) return;
      open = false;
      controller.detach();
      h.onClose();
    },
  };
}

function openStream(socket: Socket, h: PacketLinkHandlers, tcp: boolean): PacketLink {
  let ended = false;
  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    h.onClose(error);
  };
  const framer = new H4Framer((packet) => h.onPacket(packet));
  if (tcp) socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    try {
      framer.push(chunk);
    } catch (err) {
      socket.destroy();
      end(err as Error);
    }
  });
  socket.on('error', (err) => end(err));
  // A controller that goes away mid-packet is a failure, not a clean close.
  socket.on('close', () =>
    end(framer.buffered > 0 ? new Error(`controller closed mid-packet (${framer.buffered} bytes pending)`) : undefined),
  );
  return {
    // Writes before the connection is up are buffered by the socket.
    send: (packet) => {
      if (!ended) socket.write(packet);
    },
    close: () => {
      socket.destroy();
      end();
    },
  };
}

/**
 * A UART: stty puts the tty in raw mode at the baud rate (no serialport dependency), with RTS/CTS
 * hardware flow control unless disabled, as HCI UART controllers expect. The tty is then read and
 * written through Node's tty stream, which polls it like a socket (no blocked thread-pool reads).
 */
function openSerial(path: string, baud: number, flowControl: boolean, h: PacketLinkHandlers): PacketLink {
  let fd: number;
  try {
    execFileSync('stty', ['-F', path, 'raw', '-echo', flowControl ? 'crtscts' : '-crtscts', String(baud)], {
      stdio: 'ignore',
    });
    fd = openSync(path, 'r+');
  } catch (err) {
    queueMicrotask(() => h.onClose(err as Error));
    return { send: () => undefined, close: () => undefined };
  }
  return openStream(new ReadStream(fd), h, false);
}
