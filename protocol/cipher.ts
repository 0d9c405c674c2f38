/**
 * The seam between the framing/message layer and the secure session (PROTOCOL.md, SESSION.md).
 *
 * Sender: CBOR-encode a message -> `seal(channel, bytes)` -> fragment into frames.
 * Receiver: reassemble frames -> `open(channel, bytes)` -> CBOR-decode and validate.
 *
 * One whole message is sealed at a time (one AEAD tag per message, not per frame). The channel id
 * (the characteristic the message travels on) is bound as associated data, so a message cannot be
 * moved from one characteristic to another.
 */
export interface MessageCipher {
  /** Encrypts and authenticates one whole message for `channel`. */
  seal(channel: number, plaintext: Uint8Array): Uint8Array;
  /** Verifies and decrypts one whole message; throws a ProtocolError with a SESSION_* code. */
  open(channel: number, sealed: Uint8Array): Uint8Array;
}
