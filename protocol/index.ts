/** The wire protocol (PROTOCOL.md), sans I/O. The secure session lives in ./session/index.js. */
export * from './advertisement.js';
export type { MessageCipher } from './cipher.js';
export {
  decodeMessage,
  encodeMessage,
  isValidPassphrase,
  MAX_ENCODED_MESSAGE_BYTES,
  SEAL_OVERHEAD_BUDGET_BYTES,
} from './codec.js';
export { sleep } from './clock.js';
export type { Clock, Timers } from './clock.js';
export { crc32 } from './crc32.js';
export * from './errors.js';
export * from './framing.js';
export * from './gatt.js';
export * from './link.js';
export * from './messages.js';
export * from './notice.js';
export * from './states.js';
export * from './write-window.js';
export {
  CliUsageError,
  EXIT_USAGE,
  helpAsked,
  usageErrorText,
  usageProblem,
  parseCommandLine,
  reportUsageError,
} from './cli-usage.js';
export type { CliOutput } from './cli-usage.js';
export { foldNodeWarnings } from './node-support.js';
