/**
 * The session context (SESSION.md, "Transcript binding"): SPAKE2+'s Context string binds the
 * protocol version, the device identity and the exact bytes of the capability (info) document the
 * phone read, so a downgrade or a swapped device changes every key.
 *
 *   Context = len("TUP-SESSION")||"TUP-SESSION" || len(u16be(version))||u16be(version)
 *          || len(deviceId)||deviceId || len(SHA-256(info))||SHA-256(info)      (8-byte LE lengths)
 *   idProver = "" (phones are anonymous), idVerifier = deviceId (UTF-8)
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, lengthPrefixed, u16be, utf8 } from './bytes.js';
import type { TranscriptIdentities } from './spake2plus.js';

/** The session protocol version this code speaks (SESSION.md). */
export const SESSION_PROTOCOL_VERSION = 1;
const CONTEXT_LABEL = utf8('TUP-SESSION');

export interface SessionContextInput {
  readonly version: number;
  readonly deviceId: string;
  /** The exact bytes of the info document (as served by the device / as read by the phone). */
  readonly info: Uint8Array;
}

export interface SessionContext {
  readonly ids: TranscriptIdentities;
  /** SHA-256(Context): sent in clear in `hello` so an honest mismatch is named before any PAKE work. */
  readonly digest: Uint8Array;
}

export function sessionContext(input: SessionContextInput): SessionContext {
  const deviceId = utf8(input.deviceId);
  const context = concatBytes(
    lengthPrefixed(CONTEXT_LABEL),
    lengthPrefixed(u16be(input.version)),
    lengthPrefixed(deviceId),
    lengthPrefixed(sha256(input.info)),
  );
  return { ids: { context, idProver: new Uint8Array(0), idVerifier: deviceId }, digest: sha256(context) };
}
