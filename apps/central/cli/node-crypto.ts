/**
 * The phone's cryptographic seams on Node, defined once: randomness and PBKDF2 from OpenSSL. The
 * session code takes both injected (protocol/session: sans I/O); a browser passes its own.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Pbkdf2Sha256, RandomSource } from '../../../protocol/session/index.js';

/** A CSPRNG. */
export const nodeRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

/**
 * Native PBKDF2-HMAC-SHA256: the setup code's hash costs about 3 ms here against about 80 ms in
 * JavaScript, on the thread that serves every parallel link (`provision --all --parallel N`).
 */
export const nodePbkdf2Sha256: Pbkdf2Sha256 = (password, salt, iterations, length) =>
  new Uint8Array(pbkdf2Sync(password, salt, iterations, length, 'sha256'));
