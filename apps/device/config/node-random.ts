/**
 * The device's randomness on Node, defined once: OpenSSL's CSPRNG, in the shape the session code
 * takes injected (protocol/session is sans I/O). The phone's is apps/central/cli/node-crypto.ts: the
 * layer rule keeps the device and the phone programs from importing each other.
 */
import { randomBytes } from 'node:crypto';
import type { RandomSource } from '../../../protocol/session/index.js';

export const nodeRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));
