/** The secure session (SESSION.md): SPAKE2+ (RFC 9383) from the setup code, then AEAD on every message. */
export {
  AttemptLimiter,
  DEFAULT_ATTEMPT_POLICY,
  INITIAL_ATTEMPT_STATE,
  isAttemptState,
  lockoutDurationMs,
  MemoryAttemptStore,
} from './attempts.js';
export type { AttemptPolicy, AttemptState, AttemptStore, LockStatus } from './attempts.js';
export {
  MAX_MESSAGES_PER_DIRECTION,
  MAX_SEALED_PLAINTEXT_BYTES,
  SEAL_OVERHEAD_BYTES,
  SecureChannel,
} from './channel.js';
export type { ChannelOptions, SessionRole } from './channel.js';
export { SESSION_PROTOCOL_VERSION } from './context.js';
export { DEVICE_ID_MAX_LENGTH, isValidDeviceId, assertDeviceId } from './device-id.js';
export { HANDSHAKE_TIMEOUT_MS, SessionLockedOutError } from './handshake.js';
export type { HandshakeResult } from './handshake.js';
export { SessionInitiator } from './initiator.js';
export type { InitiatorOptions } from './initiator.js';
export { MAX_HANDSHAKE_MESSAGE_BYTES, decodeHandshake, MSG_HELLO } from './messages.js';
export type { RandomSource } from './random.js';
export { SessionResponder } from './responder.js';
export type { ResponderOptions } from './responder.js';
export {
  formatSetupCode,
  generateSetupCode,
  parseSetupCode,
  SETUP_CODE_ENTROPY_BITS,
  SETUP_CODE_LENGTH,
} from './setup-code.js';
export type { SetupCode } from './setup-code.js';
export { encodeSetupPayload, parseSetupPayload, TRANSPORTS } from './setup-payload.js';
export type { SetupPayload, Transport } from './setup-payload.js';
export {
  DEFAULT_PBKDF2_ITERATIONS,
  makeVerifier,
  MAX_PBKDF2_ITERATIONS,
  MIN_PBKDF2_ITERATIONS,
  pbkdf2Sha256,
  validateVerifier,
} from './verifier.js';
export type { Pbkdf2Sha256, SetupVerifier } from './verifier.js';
