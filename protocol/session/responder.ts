/**
 * The device side of the session handshake (SESSION.md, "Message sequence"): SPAKE2+ verifier.
 *
 *   phone  hello [1, version, context]  ->  device checks version, context and the lock-out
 *          params [2, iterations, salt] <-
 *   phone  share [3, pA]                ->  device counts a failure (durably), computes pB, cB
 *          reply [4, pB, cB]            <-
 *   phone  confirm [5, cA]              ->  device checks cA: success resets the count
 *          done [6]                     <-  (or error [7, code(, retryAfterMs)] at any step)
 */
import { ProtocolError } from '../errors.js';
import type { AttemptLimiter } from './attempts.js';
import { SecureChannel, type ChannelOptions } from './channel.js';
import { SESSION_PROTOCOL_VERSION, sessionContext, type SessionContext } from './context.js';
import { equalBytes, wipe } from './bytes.js';
import { fail } from './fail.js';
import {
  asProtocolError,
  errorFromPeer,
  errorReply,
  HANDSHAKE_TIMEOUT_MS,
  SessionLockedOutError,
  type HandshakeResult,
} from './handshake.js';
import {
  decodeHandshake,
  encodeHandshake,
  MSG_CONFIRM,
  MSG_DONE,
  MSG_ERROR,
  MSG_HELLO,
  MSG_PARAMS,
  MSG_REPLY,
  MSG_SHARE,
  type HandshakeMessage,
} from './messages.js';
import type { Clock } from '../clock.js';
import { randomBytes, type RandomSource } from './random.js';
import { confirmationMatches, scalarFromSeed, verifierRespond, W_SEED_BYTES, type KeySchedule } from './spake2plus.js';
import { validateVerifier, type SetupVerifier } from './verifier.js';

export interface ResponderOptions {
  /** The device's stored verifier (its deviceId is the identity bound in the transcript). */
  readonly verifier: SetupVerifier;
  /** The exact bytes of the info document this device serves. */
  readonly info: Uint8Array;
  readonly random: RandomSource;
  /** The persistent attempt counter, shared by every handshake of this device. */
  readonly attempts: AttemptLimiter;
  readonly clock: Clock;
  readonly handshakeTimeoutMs?: number;
  readonly channel?: ChannelOptions;
}

type ResponderState = 'await-hello' | 'await-share' | 'await-confirm' | 'established' | 'failed';

export class SessionResponder {
  private state: ResponderState = 'await-hello';
  private readonly context: SessionContext;
  private readonly verifier: SetupVerifier;
  private keys: KeySchedule | undefined;
  private deadline: number | undefined;

  constructor(private readonly options: ResponderOptions) {
    this.verifier = validateVerifier(options.verifier);
    this.context = sessionContext({
      version: SESSION_PROTOCOL_VERSION,
      deviceId: this.verifier.deviceId,
      info: options.info,
    });
  }

  get phase(): ResponderState {
    return this.state;
  }

  /** Feeds one message from the `session` characteristic. */
  receive(data: Uint8Array): HandshakeResult {
    if (this.state === 'established' || this.state === 'failed') {
      return {
        status: 'failed',
        reply: undefined,
        error: new ProtocolError('SESSION_CLOSED', { detail: 'this handshake has ended; start a new one with hello' }),
      };
    }
    const now = this.options.clock();
    let m: HandshakeMessage;
    try {
      if (this.deadline !== undefined && now > this.deadline) fail('SESSION_TIMEOUT', 'the handshake took too long');
      m = decodeHandshake(data);
    } catch (err) {
      return this.failWith(asProtocolError(err), true);
    }
    // The phone gave up (e.g. its check of cB failed): end quietly, the attempt stays counted.
    if (m.type === MSG_ERROR) return this.failWith(errorFromPeer(m.wire, m.retryAfterMs), false);
    try {
      return this.step(m, now);
    } catch (err) {
      return this.failWith(asProtocolError(err), true);
    }
  }

  private failWith(error: ProtocolError, tellPeer: boolean): HandshakeResult {
    this.state = 'failed';
    this.wipeKeys();
    return { status: 'failed', reply: tellPeer ? errorReply(error) : undefined, error };
  }

  private step(m: HandshakeMessage, now: number): HandshakeResult {
    switch (this.state) {
      case 'await-hello': {
        if (m.type !== MSG_HELLO) fail('SESSION_HANDSHAKE_INVALID', `expected hello, got type ${m.type}`);
        if (m.version !== SESSION_PROTOCOL_VERSION)
          fail('VERSION_UNSUPPORTED', `session version ${m.version}; this device speaks ${SESSION_PROTOCOL_VERSION}`);
        if (!equalBytes(m.context, this.context.digest))
          fail('SESSION_TRANSCRIPT_MISMATCH', 'the phone read another device identity or info document');
        this.refuseIfLocked();
        this.deadline = now + (this.options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
        this.state = 'await-share';
        return {
          status: 'continue',
          reply: encodeHandshake({ type: MSG_PARAMS, iterations: this.verifier.iterations, salt: this.verifier.salt }),
        };
      }
      case 'await-share': {
        if (m.type !== MSG_SHARE) fail('SESSION_HANDSHAKE_INVALID', `expected share, got type ${m.type}`);
        this.refuseIfLocked();
        const y = scalarFromSeed(randomBytes(this.options.random, W_SEED_BYTES));
        const r = verifierRespond(this.context.ids, this.verifier, y, m.pA);
        wipe(y);
        // Counted before cB leaves the device: cB lets the phone test its guess offline.
        try {
          this.options.attempts.recordFailure();
        } catch (err) {
          throw new ProtocolError('STORAGE_FAILED', { detail: 'could not persist the attempt counter', cause: err });
        }
        this.keys = r.keys;
        this.state = 'await-confirm';
        return { status: 'continue', reply: encodeHandshake({ type: MSG_REPLY, pB: r.shareV, cB: r.keys.confirmV }) };
      }
      case 'await-confirm': {
        if (m.type !== MSG_CONFIRM) fail('SESSION_HANDSHAKE_INVALID', `expected confirm, got type ${m.type}`);
        const keys = this.keys!;
        if (!confirmationMatches(keys.confirmP, m.cA)) fail('SESSION_AUTH_FAILED');
        try {
          this.options.attempts.recordSuccess();
        } catch {
          // The phone proved the code; failing to clear the count only keeps it pessimistic until the next success.
        }
        const channel = SecureChannel.fromSharedKey(keys.K_shared, 'device', this.options.channel);
        this.wipeKeys();
        this.state = 'established';
        return { status: 'established', reply: encodeHandshake({ type: MSG_DONE }), channel };
      }
      default:
        return fail('SESSION_HANDSHAKE_INVALID', `unexpected message type ${m.type}`);
    }
  }

  private refuseIfLocked(): void {
    const lock = this.options.attempts.check();
    if (lock.locked) throw new SessionLockedOutError(lock.retryAfterMs);
  }

  private wipeKeys(): void {
    if (this.keys) wipe(this.keys.K_main, this.keys.K_confirmP, this.keys.K_confirmV, this.keys.K_shared);
    this.keys = undefined;
  }
}
