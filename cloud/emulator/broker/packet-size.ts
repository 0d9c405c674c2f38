/**
 * MQTT packet size limit, checked on the raw byte stream: a packet's size is known from its fixed
 * header (type byte + remaining length, a 1–4 byte varint), so a packet over the limit is refused
 * before its body is buffered. Neither aedes (3.1.1) nor mqtt-packet 9's parser (which ignores its
 * `maxPacketSize` option) do this: they buffer the whole packet first.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** How long a closing socket may take to flush its last packets before it is destroyed, in ms. */
export const CLOSE_FLUSH_MS = 1000;

/** Why a byte stream must be closed: a packet over the limit, or a malformed remaining length. */
export type FramingViolation = { kind: 'too-large'; packetBytes: number } | { kind: 'malformed' };

/** Follows MQTT packet boundaries across chunks without keeping any packet bytes. */
export class PacketSizeGuard {
  /** Body bytes of the current packet still to come. */
  private bodyLeft = 0;
  /** Inside a fixed header: the type byte was read, the remaining length is being read. */
  private inHeader = false;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feeds the next chunk; returns the first violation in it, if any (the stream is then done). */
  check(chunk: Buffer): FramingViolation | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= n;
        i += n;
        continue;
      }
      if (!this.inHeader) {
        this.inHeader = true;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        i++;
        continue;
      }
      const b = chunk[i++] as number;
      this.length += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      // The varint is little-endian base 128: what was read so far is a lower bound of the length.
      const packetBytes = 1 + this.lengthBytes + this.length;
      if (packetBytes > this.maxPacketBytes) return { kind: 'too-large', packetBytes };
      if (b & 0x80) {
        if (this.lengthBytes === 4) return { kind: 'malformed' };
        continue;
      }
      this.inHeader = false;
      this.bodyLeft = this.length;
    }
    return undefined;
  }
}

/**
 * Wraps an MQTT 3.1.1 client socket in a stream that passes bytes through after the size check and
 * destroys the socket at the first violation (MQTT 3.1.1 has no way to say why). `socket` must be
 * paused with everything read so far unshifted back.
 */
export function guardPacketSize(
  socket: Socket | Duplex,
  maxPacketBytes: number,
  onViolation: (v: FramingViolation) => void,
): Duplex {
  const guard = new PacketSizeGuard(maxPacketBytes);
  let refused = false;
  const inner = new Duplex({
    read() {
      if (!refused) socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (socket.destroyed) return cb();
      socket.write(chunk, () => cb());
    },
    // A packet comes as several small writes (aedes corks around each): sent as one, it is one
    // TLS record and one system call rather than one per piece.
    writev(chunks: { chunk: Buffer }[], cb) {
      if (socket.destroyed) return cb();
      const [only] = chunks;
      socket.write(chunks.length === 1 && only ? only.chunk : Buffer.concat(chunks.map((c) => c.chunk)), () => cb());
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      // Ended, not destroyed: a refusing CONNACK written just before is flushed first.
      if (!socket.destroyed) {
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
      }
      cb(err);
    },
  });
  socket.on('data', (d: Buffer) => {
    if (refused) return;
    const violation = guard.check(d);
    if (violation) {
      refused = true;
      onViolation(violation);
      socket.destroy();
      inner.destroy();
      return;
    }
    if (!inner.push(d)) socket.pause();
  });
  socket.on('end', () => inner.push(null));
  socket.on('close', () => inner.destroy());
  socket.on('error', () => inner.destroy());
  return inner;
}
