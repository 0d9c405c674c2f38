/**
 * The device's session cryptography, warmed at start-up instead of in the first phone's handshake.
 * A fresh process pays once for P-256's base-point tables and for compiling the curve and hash code
 * (100-300 ms of CPU on the 2-core machine, against 15 ms for a handshake after that): measured in
 * `npm run bench -- fleet`, where it was a quarter of a device's CPU during provisioning. One
 * throwaway handshake between a local initiator and responder pays it before the device says it is
 * up. It touches nothing of the device's own: a throwaway code and verifier (at the lowest PBKDF2
 * cost), an attempt counter in memory, and the channel is dropped.
 */
import {
  AttemptLimiter,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
  SessionInitiator,
  SessionResponder,
} from '../../protocol/session/index.js';
import { nodeRandom as random } from './config/index.js';

const DEVICE_ID = 'warm-up';
/** A handshake takes 3 round trips (SESSION.md); more means the two ends disagree. */
const MAX_MESSAGES = 8;

/** Runs one local handshake; resolves false (never throws) when it did not complete: nothing depends on it. */
export function warmUpSession(): boolean {
  try {
    const code = generateSetupCode(random);
    const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
    const info = new TextEncoder().encode(DEVICE_ID);
    const phone = new SessionInitiator({ setupCode: code, deviceId: DEVICE_ID, info, random });
    const device = new SessionResponder({
      verifier,
      info,
      random,
      attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
      clock: Date.now,
    });
    let toDevice: Uint8Array | undefined = phone.start();
    for (let n = 0; toDevice && n < MAX_MESSAGES; n++) {
      const reply = device.receive(toDevice).reply;
      if (!reply) return false;
      const r = phone.receive(reply);
      if (r.status === 'established') return true;
      if (r.status === 'failed') return false;
      toDevice = r.reply;
    }
    return false;
  } catch {
    return false;
  }
}
