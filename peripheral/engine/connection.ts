/**
 * One phone's connection to the provisioning service, without bleno: frames in (per
 * characteristic), frames out (notifications), read values. It runs the session handshake on
 * `session` (a new SessionResponder for every hello), then opens every message on wifi, claim and
 * control with the SecureChannel and hands it to the agent; status and scan go back sealed.
 *
 * Errors (PROTOCOL.md §4.8): inside an intact session an error goes back as a sealed status with
 * its code and the link stays; before a session, or when the error ended the session, the device
 * sends one unsealed error notice on `status` and drops the link (after the phone has had
 * `noticeLingerMs` to drop it itself). Nothing is sealed for a characteristic whose notifications
 * are off (PROTOCOL.md §2.3): a sealed message that is never delivered would desynchronize the
 * one device-to-phone counter.
 */
import {
  ProtocolError,
  ProvisioningError,
  isProvisioningError,
  MessageLink,
  ACCEPTED_STEP,
  MAX_DETAIL_BYTES,
  MAX_STEP_BYTES,
  WriteWindowReceiver,
} from '../../protocol/index.js';
import type { ErrorCode, CharacteristicName, Message, StatusMessage, Clock, WriteKind } from '../../protocol/index.js';
import type { AttemptLimiter, RandomSource, SecureChannel, SetupVerifier } from '../../protocol/session/index.js';
import { SessionResponder, decodeHandshake, MSG_HELLO } from '../../protocol/session/index.js';
import type { AgentSession, ProvisioningAgent } from '../agent/index.js';
import { ERROR_NOTICE_LINGER_MS } from './limits.js';
import type { Timers } from '../../protocol/index.js';

/** Characteristics that carry framed messages (info is a plain read). */
export type FramedName = Exclude<CharacteristicName, 'info'>;
const FRAMED: readonly FramedName[] = ['session', 'wifi', 'claim', 'control', 'status', 'scan'];
const SEALED: readonly FramedName[] = ['wifi', 'claim', 'control', 'status', 'scan'];

export type Notifier = (frame: Uint8Array) => void;

export interface ConnectionOptions {
  readonly agent: ProvisioningAgent;
  readonly verifier: SetupVerifier;
  readonly attempts: AttemptLimiter;
  /** The exact info bytes this connection reads (the handshake binds them). */
  readonly info: Uint8Array;
  readonly random: RandomSource;
  readonly now: Clock;
  readonly timers: Timers;
  readonly idleTimeoutMs: number;
  readonly attPayload: number;
  /** Drops the BLE link (bleno.disconnect). */
  readonly disconnect: () => void;
  /** After an error notice, how long the phone may take to drop the link itself (ms; default ERROR_NOTICE_LINGER_MS). */
  readonly noticeLingerMs?: number;
  readonly log?: (line: string) => void;
  /** Transport name given to the agent. */
  readonly transport?: string;
  /**
   * The write window this connection enforces (PROTOCOL.md §2.4), as announced in its `info`;
   * absent: none (every write is handled as it comes, e.g. one HTTP request at a time).
   */
  readonly writeWindow?: number;
}

function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max
    ? text
    : bytes
        .subarray(0, max)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}

export class GattConnection {
  private readonly links: Record<FramedName, MessageLink>;
  private readonly notifiers = new Map<FramedName, Notifier>();
  private responder: SessionResponder | undefined;
  private channel: SecureChannel | undefined;
  private agentSession: AgentSession | undefined;
  private unsubscribeStatus: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();
  private idleTimer: unknown;
  private lingerTimer: unknown;
  private closed = false;
  private statusValue: Uint8Array | undefined;
  private readonly window: WriteWindowReceiver | undefined;
  /** When the last frame of each message completed (for figures), by the injected clock. */
  readonly received: Partial<Record<FramedName, number>> = {};

  constructor(private readonly options: ConnectionOptions) {
    const make = (characteristic: FramedName): MessageLink =>
      new MessageLink({ characteristic, attPayload: options.attPayload, now: options.now });
    this.links = Object.fromEntries(FRAMED.map((n) => [n, make(n)])) as Record<FramedName, MessageLink>;
    this.window = options.writeWindow !== undefined ? new WriteWindowReceiver(options.writeWindow) : undefined;
    this.touch();
  }

  get established(): boolean {
    return this.channel !== undefined && !this.channel.closed;
  }

  /** A handshake was started (hello answered) and has neither finished nor failed. */
  get handshaking(): boolean {
    return !this.closed && this.responder !== undefined;
  }

  setAttPayload(attPayload: number): void {
    for (const link of Object.values(this.links)) link.setAttPayload(attPayload);
  }

  /** The phone turned notifications on for `name` (its CCCD); frames for it go to `notify`. */
  subscribe(name: FramedName, notify: Notifier): void {
    this.notifiers.set(name, notify);
  }

  /** The phone turned notifications off for `name`: from now on nothing is sealed for it. */
  unsubscribe(name: FramedName): void {
    this.notifiers.delete(name);
  }

  /** Whether the phone has notifications on for `name`. */
  notifying(name: FramedName): boolean {
    return this.notifiers.has(name);
  }

  /** The info read value, sliced for long reads. */
  readInfo(offset: number): Uint8Array {
    return this.options.info.subarray(offset);
  }

  /** The status read value: sealed once at offset 0, then sliced (long reads); empty before a session (PROTOCOL.md §2.2). */
  readStatus(offset: number): Uint8Array {
    if (!this.established) return new Uint8Array(0);
    if (offset === 0 || !this.statusValue)
      this.statusValue = this.links.status.encodeValue(this.options.agent.status());
    return this.statusValue.subarray(offset);
  }

  /** One written frame; handled in order, after the previous ones. */
  write(name: FramedName, frame: Uint8Array): Promise<void> {
    return this.receive(name, frame, 'request');
  }

  /**
   * One frame written as `kind` (PROTOCOL.md §2.4); resolves once it (and the message it completes)
   * is handled. `answer` is called when its turn comes, every frame before it handled, right before
   * it is handled itself: where a Write Request is answered (so the response still precedes the
   * notifications the frame causes, as it did when requests were answered on arrival). With a write
   * window, a frame beyond it is never queued: WRITE_WINDOW_EXCEEDED ends the link (notice, drop),
   * so a peer that ignores the window costs at most `writeWindow` queued frames.
   */
  receive(name: FramedName, frame: Uint8Array, kind: WriteKind, answer?: () => void): Promise<void> {
    if (this.closed) {
      answer?.();
      return Promise.resolve();
    }
    try {
      this.window?.receive(kind);
    } catch (err) {
      this.report(err, true);
      answer?.();
      return Promise.resolve();
    }
    const run = this.queue.then(() => {
      this.window?.handled();
      answer?.();
      return this.handle(name, frame);
    });
    // The caller gets `run`'s failure; the queue only waits for it to settle.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frames received and not yet taken for handling (bounded by the write window). */
  get pendingFrames(): number {
    return this.window?.pending ?? 0;
  }

  /** The link is gone (or the server stops): ends everything, including a pending drop. */
  close(): void {
    this.options.timers.clearTimeout(this.lingerTimer);
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.timers.clearTimeout(this.idleTimer);
    this.endSession();
    for (const link of Object.values(this.links)) link.reset();
    this.notifiers.clear();
  }

  /**
   * Ends the link because of an error (PROTOCOL.md §4.8): one error notice on `status`, nothing
   * handled any more, and the link dropped once the phone has had the linger time to drop it.
   */
  private fail(code: ErrorCode, detail?: string): void {
    if (this.closed) return;
    this.log(`error ${code}${detail ? ` (${detail})` : ''}; notice sent, dropping the link`);
    this.notify('status', this.links.status.sendNotice(code));
    this.shutdown();
    const linger = this.options.noticeLingerMs ?? ERROR_NOTICE_LINGER_MS;
    if (linger <= 0) this.options.disconnect();
    else this.lingerTimer = this.options.timers.setTimeout(() => this.options.disconnect(), linger);
  }

  // ---- internals ------------------------------------------------------------------------------

  private async handle(name: FramedName, frame: Uint8Array): Promise<void> {
    if (this.closed) return;
    this.touch();
    try {
      if (name === 'session') {
        const bytes = this.links.session.receiveBytes(frame);
        if (bytes) this.handshake(bytes);
        return;
      }
      if (name === 'status' || name === 'scan')
        throw new ProtocolError('WRONG_CHANNEL', { detail: `${name} is not written by the phone` });
      if (!this.established) {
        this.links[name].reset();
        throw new ProtocolError('SESSION_REQUIRED');
      }
      const message = this.links[name].receive(frame);
      if (!message) return;
      this.received[name] = this.options.now();
      await this.dispatch(message);
    } catch (err) {
      this.report(err);
    }
  }

  private handshake(bytes: Uint8Array): void {
    let hello = false;
    try {
      hello = decodeHandshake(bytes).type === MSG_HELLO;
    } catch {
      // Not decodable: the current responder answers it with the right error.
    }
    if (hello || !this.responder) {
      // A new hello starts a new session: the old one (if any) ends here.
      this.endSession();
      this.responder = new SessionResponder({
        verifier: this.options.verifier,
        info: this.options.info,
        random: this.options.random,
        attempts: this.options.attempts,
        clock: this.options.now,
      });
    }
    const result = this.responder.receive(bytes);
    if (result.reply) this.notify('session', this.links.session.sendBytes(result.reply));
    if (result.status === 'failed') {
      this.log(`session handshake failed: ${result.error.code}`);
      this.responder = undefined;
      return;
    }
    if (result.status !== 'established') return;
    this.responder = undefined;
    this.channel = result.channel;
    for (const n of SEALED) this.links[n].setCipher(result.channel);
    this.log('session established');
    try {
      this.agentSession = this.options.agent.openSession(this.options.transport ?? 'ble');
    } catch (err) {
      // Sealed first (the phone's first status names the holder's code), then the notice and the drop.
      this.report(err);
      const failure = isProvisioningError(err) ? err : undefined;
      this.fail(failure?.code ?? 'INTERNAL');
      return;
    }
    this.unsubscribeStatus = this.options.agent.onStatus((s) => this.sendStatus(s));
    this.sendStatus(this.options.agent.status());
  }

  private async dispatch(message: Message): Promise<void> {
    const session = this.agentSession;
    if (!session) throw new ProtocolError('SESSION_REQUIRED');
    switch (message.type) {
      case 'wifi':
        // Acknowledged (PROTOCOL.md §5.7): a status with the accepted step, or a rejection with err.
        session.submitWifi(message);
        this.acknowledge(ACCEPTED_STEP.wifi);
        return;
      case 'claim':
        session.submitClaim(message);
        this.acknowledge(ACCEPTED_STEP.claim);
        return;
      case 'control': {
        // Its answer could not be delivered: refuse before the device scans (PROTOCOL.md §2.3).
        if (message.command === 'scan' && !this.notifying('scan'))
          throw new ProtocolError('NOTIFICATIONS_DISABLED', { detail: 'notifications on scan are off' });
        const result = await session.command(message.command);
        if (message.command === 'scan') this.send('scan', { type: 'scan', networks: [...(result.networks ?? [])] });
        return;
      }
      default:
        throw new ProtocolError('UNEXPECTED_MESSAGE', { detail: `a ${message.type} message from the phone` });
    }
  }

  /**
   * Reports an error to the phone: a sealed status with err inside an intact session; otherwise
   * (no session yet, the error closed the channel, or `endsLink`: a write beyond the window) the
   * error notice, and the link is dropped.
   */
  private report(err: unknown, endsLink = false): void {
    const failure = isProvisioningError(err)
      ? err
      : new ProvisioningError('INTERNAL', { detail: 'unexpected failure', cause: err });
    if (!this.established || endsLink) {
      this.fail(failure.code, failure.detail);
      return;
    }
    this.log(`error ${failure.code}${failure.detail ? ` (${failure.detail})` : ''}`);
    this.sendError(failure.code, failure.detail);
  }

  /** The positive answer to wifi/claim: the current state with the accepted step and never an err (an earlier failure's err would read as a rejection). */
  private acknowledge(step: string): void {
    const { state, progress } = this.options.agent.status();
    this.sendStatus({ type: 'status', state, step, ...(progress !== undefined ? { progress } : {}) });
  }

  private sendError(code: ErrorCode, detail?: string): void {
    const d = clip(detail, MAX_DETAIL_BYTES);
    const state = this.options.agent.state;
    this.sendStatus({ type: 'status', state, error: code, ...(d ? { detail: d } : {}) });
  }

  private sendStatus(status: StatusMessage): void {
    if (!this.established) return;
    if (!this.notifying('status')) return;
    const step = clip(status.step, MAX_STEP_BYTES);
    this.send('status', { ...status, ...(step !== undefined ? { step } : {}) });
    this.touch();
  }

  private send(name: FramedName, message: Message): void {
    if (!this.notifying(name)) {
      // Sealing it would spend a counter the phone never sees (SESSION.md §7.3: the next message would be REORDERED).
      this.log(`${message.type} not sent: notifications on ${name} are off`);
      return;
    }
    try {
      this.notify(name, this.links[name].send(message));
    } catch (err) {
      this.log(`could not send ${message.type}: ${(err as Error).message}`);
    }
  }

  private notify(name: FramedName, frames: Uint8Array[]): void {
    const notify = this.notifiers.get(name);
    if (!notify) return;
    for (const f of frames) notify(f);
  }

  private endSession(): void {
    this.unsubscribeStatus?.();
    this.unsubscribeStatus = undefined;
    this.agentSession?.close();
    this.agentSession = undefined;
    this.channel?.close('SESSION_CLOSED');
    this.channel = undefined;
    this.responder = undefined;
    this.statusValue = undefined;
    for (const n of SEALED) {
      this.links[n].setCipher(undefined);
    }
  }

  private touch(): void {
    if (this.closed) return;
    this.options.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.options.timers.setTimeout(() => this.idle(), this.options.idleTimeoutMs);
  }

  private idle(): void {
    if (this.closed) return;
    // A running job is not idleness: the phone is waiting for its status.
    if (this.agentSession && this.isRunning()) {
      this.touch();
      return;
    }
    this.fail('SESSION_TIMEOUT', 'idle');
  }

  private isRunning(): boolean {
    const s = this.options.agent.state;
    return s !== 'idle' && s !== 'sessionEstablished' && s !== 'failed' && s !== 'provisioned';
  }

  private log(line: string): void {
    this.options.log?.(`ble: ${line}`);
  }
}
