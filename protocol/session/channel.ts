/**
 * The secure channel (SESSION.md, "Channel"): one AES-256-GCM key per direction, derived from
 * SPAKE2+'s K_shared; counter nonces; the counter and length travel in clear and are authenticated.
 *
 *   sealed = counter (u32 BE) || length (u32 BE, plaintext bytes) || ciphertext || tag (16)
 *   nonce  = 0x00000000 || u64 BE counter
 *   AAD    = channel (u16 BE) || counter || length
 *
 * The first failure of any kind ends the channel in both directions: afterwards seal and open throw
 * SESSION_CLOSED.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { MessageCipher } from '../cipher.js';
import { ProtocolError, UsageError, type ErrorCode } from '../errors.js';
import { concatBytes, readU32be, u16be, u32be, utf8, wipe } from './bytes.js';

export type SessionRole = 'phone' | 'device';

/** AES-256-GCM key size in bytes. */
export const CHANNEL_KEY_BYTES = 32;
export const GCM_TAG_BYTES = 16;
export const GCM_NONCE_BYTES = 12;
/** counter (4) + length (4). */
export const SEALED_HEADER_BYTES = 8;
/** Bytes a sealed message adds to its plaintext. */
export const SEAL_OVERHEAD_BYTES = SEALED_HEADER_BYTES + GCM_TAG_BYTES;
/** Largest plaintext one sealed message may carry, in bytes (the framing layer's own limit is lower). */
export const MAX_SEALED_PLAINTEXT_BYTES = 65_536;
/**
 * Messages per direction per session: the u32 counter space. Far beyond any provisioning run, and
 * far below AES-GCM's 2^32-invocation limit per key; reaching it closes the session.
 */
export const MAX_MESSAGES_PER_DIRECTION = 0xffff_ffff;

/** HKDF-SHA256 info labels for the two direction keys (SESSION.md, "Key schedule"). */
export const PHONE_TO_DEVICE_LABEL = 'TUP-SESSION-v1 key phone->device';
export const DEVICE_TO_PHONE_LABEL = 'TUP-SESSION-v1 key device->phone';

export interface ChannelOptions {
  /** Lower the per-direction message limit (tests); never above {@link MAX_MESSAGES_PER_DIRECTION}. */
  readonly maxMessages?: number;
}

export interface DirectionKeys {
  readonly phoneToDevice: Uint8Array;
  readonly deviceToPhone: Uint8Array;
}

export function deriveDirectionKeys(kShared: Uint8Array): DirectionKeys {
  return {
    phoneToDevice: hkdf(sha256, kShared, undefined, utf8(PHONE_TO_DEVICE_LABEL), CHANNEL_KEY_BYTES),
    deviceToPhone: hkdf(sha256, kShared, undefined, utf8(DEVICE_TO_PHONE_LABEL), CHANNEL_KEY_BYTES),
  };
}

function nonceFor(counter: number): Uint8Array {
  const n = new Uint8Array(GCM_NONCE_BYTES);
  new DataView(n.buffer).setBigUint64(4, BigInt(counter), false);
  return n;
}

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xffff) {
    throw new UsageError('INTERNAL', { detail: 'a channel id is an integer 0-65535' });
  }
}

export class SecureChannel implements MessageCipher {
  readonly role: SessionRole;
  private readonly sendKey: Uint8Array;
  private readonly receiveKey: Uint8Array;
  private readonly maxMessages: number;
  private sendCounter = 0;
  private receiveCounter = 0;
  private endedWith: ErrorCode | undefined;

  private constructor(role: SessionRole, keys: DirectionKeys, options: ChannelOptions) {
    this.role = role;
    this.sendKey = role === 'phone' ? keys.phoneToDevice : keys.deviceToPhone;
    this.receiveKey = role === 'phone' ? keys.deviceToPhone : keys.phoneToDevice;
    this.maxMessages = Math.min(options.maxMessages ?? MAX_MESSAGES_PER_DIRECTION, MAX_MESSAGES_PER_DIRECTION);
  }

  /** Builds one side's channel from SPAKE2+'s K_shared (the handshake does this for you). */
  static fromSharedKey(kShared: Uint8Array, role: SessionRole, options: ChannelOptions = {}): SecureChannel {
    return new SecureChannel(role, deriveDirectionKeys(kShared), options);
  }

  get closed(): boolean {
    return this.endedWith !== undefined;
  }

  /** Why the channel ended (the first failure's code, or SESSION_CLOSED after close()). */
  get closeReason(): ErrorCode | undefined {
    return this.endedWith;
  }

  /** Messages sealed and opened so far. */
  get counters(): { readonly sent: number; readonly received: number } {
    return { sent: this.sendCounter, received: this.receiveCounter };
  }

  /** Ends the session and wipes its keys. */
  close(reason: ErrorCode = 'SESSION_CLOSED'): void {
    if (this.endedWith === undefined) this.endedWith = reason;
    wipe(this.sendKey, this.receiveKey);
  }

  seal(channel: number, plaintext: Uint8Array): Uint8Array {
    checkChannel(channel);
    if (this.closed) throw new UsageError('SESSION_CLOSED', { detail: `the session ended (${this.endedWith})` });
    if (plaintext.length > MAX_SEALED_PLAINTEXT_BYTES)
      throw new UsageError('MESSAGE_TOO_LARGE', {
        detail: `a sealed message carries at most ${MAX_SEALED_PLAINTEXT_BYTES} bytes`,
      });
    if (this.sendCounter >= this.maxMessages) {
      this.close();
      throw new UsageError('SESSION_CLOSED', { detail: 'the message counter is exhausted: start a new session' });
    }
    const header = concatBytes(u32be(this.sendCounter), u32be(plaintext.length));
    const ct = gcm(this.sendKey, nonceFor(this.sendCounter), concatBytes(u16be(channel), header)).encrypt(plaintext);
    this.sendCounter++;
    return concatBytes(header, ct);
  }

  open(channel: number, sealed: Uint8Array): Uint8Array {
    checkChannel(channel);
    if (this.closed) throw new ProtocolError('SESSION_CLOSED', { detail: `the session ended (${this.endedWith})` });
    if (sealed.length < SEAL_OVERHEAD_BYTES) this.end('SESSION_TRUNCATED', 'shorter than header and tag');
    const counter = readU32be(sealed, 0);
    const length = readU32be(sealed, 4);
    if (length > MAX_SEALED_PLAINTEXT_BYTES) this.end('SESSION_TAMPERED', 'declared length out of range');
    const expected = SEAL_OVERHEAD_BYTES + length;
    if (sealed.length < expected) this.end('SESSION_TRUNCATED', `${expected - sealed.length} bytes missing`);
    if (sealed.length > expected) this.end('SESSION_TAMPERED', 'bytes appended');
    let plaintext: Uint8Array;
    try {
      plaintext = gcm(
        this.receiveKey,
        nonceFor(counter),
        concatBytes(u16be(channel), sealed.subarray(0, SEALED_HEADER_BYTES)),
      ).decrypt(sealed.subarray(SEALED_HEADER_BYTES));
    } catch {
      return this.end('SESSION_TAMPERED', 'authentication tag mismatch');
    }
    // Authentic, so the counter is the sender's own: an old one is a replay, a later one a reorder or loss.
    if (counter < this.receiveCounter)
      this.end('SESSION_REPLAYED', `counter ${counter}, expected ${this.receiveCounter}`);
    if (counter > this.receiveCounter)
      this.end('SESSION_REORDERED', `counter ${counter}, expected ${this.receiveCounter}`);
    this.receiveCounter++;
    return plaintext;
  }

  private end(code: ErrorCode, detail: string): never {
    this.close(code);
    throw new ProtocolError(code, { detail });
  }
}
