/**
 * The phone side of the session handshake (SESSION.md, "Message sequence"): SPAKE2+ prover.
 * `start()` gives the `hello` to write; each `receive()` takes the device's next message and says
 * what to write back, until the channel is established or the handshake failed.
 */
import { ProtocolError, UsageError } from '../errors.js';
import { wipe } from './bytes.js';
import { SecureChannel, type ChannelOptions } from './channel.js';
import { SESSION_PROTOCOL_VERSION, sessionContext, type SessionContext } from './context.js';
import { assertDeviceId } from './device-id.js';
import { fail } from './fail.js';
import { asProtocolError, errorFromPeer, errorReply, type HandshakeResult } from './handshake.js';
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
import { randomBytes, type RandomSource } from './random.js';
import { parseSetupCode, type SetupCode } from './setup-code.js';
import {
  confirmationMatches,
  proverFinish,
  proverShare,
  scalarFromSeed,
  W_SEED_BYTES,
  type Spake2PlusSecrets,
} from './spake2plus.js';
import { deriveSecrets, pbkdfParamsValid, type Pbkdf2Sha256 } from './verifier.js';

export interface InitiatorOptions {
  /** The setup code as typed or scanned (validated and normalized here). */
  readonly setupCode: string;
  /** The device id from the QR payload (or typed): the device the user means. */
  readonly deviceId: string;
  /** The exact bytes of the info document the phone read from the device. */
  readonly info: Uint8Array;
  readonly random: RandomSource;
  /** The platform's PBKDF2-HMAC-SHA256 where it has a native one; the portable one by default. */
  readonly pbkdf2?: Pbkdf2Sha256;
  /** Session protocol version to ask for (tests of downgrade detection); defaults to this code's. */
  readonly version?: number;
  readonly channel?: ChannelOptions;
}

type InitiatorState = 'idle' | 'await-params' | 'await-reply' | 'await-done' | 'established' | 'failed';

export class SessionInitiator {
  private state: InitiatorState = 'idle';
  private readonly context: SessionContext;
  private readonly version: number;
  private code: SetupCode | undefined;
  private secrets: Spake2PlusSecrets | undefined;
  private x: Uint8Array | undefined;
  private shareP: Uint8Array | undefined;
  private kShared: Uint8Array | undefined;

  constructor(private readonly options: InitiatorOptions) {
    this.code = parseSetupCode(options.setupCode);
    assertDeviceId(options.deviceId, 'SESSION_SETUP_CODE_INVALID');
    this.version = options.version ?? SESSION_PROTOCOL_VERSION;
    this.context = sessionContext({ version: this.version, deviceId: options.deviceId, info: options.info });
  }

  get phase(): InitiatorState {
    return this.state;
  }

  /** The first message to write on the `session` characteristic. */
  start(): Uint8Array {
    if (this.state !== 'idle') throw new UsageError('UNEXPECTED_MESSAGE', { detail: 'start() was already called' });
    this.state = 'await-params';
    return encodeHandshake({ type: MSG_HELLO, version: this.version, context: this.context.digest });
  }

  /** Feeds one message the device sent on the `session` characteristic. */
  receive(data: Uint8Array): HandshakeResult {
    if (this.state === 'idle') throw new UsageError('UNEXPECTED_MESSAGE', { detail: 'call start() first' });
    if (this.state === 'established' || this.state === 'failed') {
      return {
        status: 'failed',
        reply: undefined,
        error: new ProtocolError('SESSION_CLOSED', { detail: 'this handshake has ended' }),
      };
    }
    let m: HandshakeMessage;
    try {
      m = decodeHandshake(data);
    } catch (err) {
      return this.failWith(asProtocolError(err), true);
    }
    if (m.type === MSG_ERROR) return this.failWith(errorFromPeer(m.wire, m.retryAfterMs), false);
    try {
      return this.step(m);
    } catch (err) {
      return this.failWith(asProtocolError(err), true);
    }
  }

  private step(m: HandshakeMessage): HandshakeResult {
    switch (this.state) {
      case 'await-params': {
        if (m.type !== MSG_PARAMS) fail('SESSION_HANDSHAKE_INVALID', `expected params, got type ${m.type}`);
        if (!pbkdfParamsValid(m)) fail('SESSION_HANDSHAKE_INVALID', 'PBKDF2 parameters out of range');
        this.secrets = deriveSecrets(this.code!, m, this.options.pbkdf2);
        this.code = undefined;
        if (this.secrets === undefined) fail('SESSION_AUTH_FAILED');
        this.x = scalarFromSeed(randomBytes(this.options.random, W_SEED_BYTES));
        this.shareP = proverShare(this.secrets.w0, this.x);
        this.state = 'await-reply';
        return { status: 'continue', reply: encodeHandshake({ type: MSG_SHARE, pA: this.shareP }) };
      }
      case 'await-reply': {
        if (m.type !== MSG_REPLY) fail('SESSION_HANDSHAKE_INVALID', `expected reply, got type ${m.type}`);
        const r = proverFinish(this.context.ids, this.secrets!, this.x!, this.shareP!, m.pB);
        const ok = confirmationMatches(r.keys.confirmV, m.cB);
        const cA = r.keys.confirmP;
        this.kShared = r.keys.K_shared;
        wipe(r.keys.K_main, r.keys.K_confirmP, r.keys.K_confirmV);
        this.wipeSecrets();
        if (!ok) fail('SESSION_AUTH_FAILED');
        this.state = 'await-done';
        return { status: 'continue', reply: encodeHandshake({ type: MSG_CONFIRM, cA }) };
      }
      case 'await-done': {
        if (m.type !== MSG_DONE) fail('SESSION_HANDSHAKE_INVALID', `expected done, got type ${m.type}`);
        const channel = SecureChannel.fromSharedKey(this.kShared!, 'phone', this.options.channel);
        wipe(this.kShared!);
        this.kShared = undefined;
        this.state = 'established';
        return { status: 'established', reply: undefined, channel };
      }
      default:
        return fail('SESSION_HANDSHAKE_INVALID', `unexpected message type ${m.type}`);
    }
  }

  private failWith(error: ProtocolError, tellPeer: boolean): HandshakeResult {
    this.state = 'failed';
    this.wipeSecrets();
    if (this.kShared) wipe(this.kShared);
    this.kShared = undefined;
    this.code = undefined;
    return { status: 'failed', reply: tellPeer ? errorReply(error) : undefined, error };
  }

  private wipeSecrets(): void {
    if (this.secrets) wipe(this.secrets.w0, this.secrets.w1);
    if (this.x) wipe(this.x);
    this.secrets = undefined;
    this.x = undefined;
  }
}
