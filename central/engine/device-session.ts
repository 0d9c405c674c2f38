import {
  ProvisioningError,
  isProvisioningError,
  MessageLink,
  ACCEPTED_STEP,
  WriteWindowSender,
  writeWindowOf,
} from '../../protocol/index.js';
import type {
  ClaimMessage,
  InfoMessage,
  Message,
  ScanMessage,
  StatusMessage,
  WifiMessage,
  Clock,
} from '../../protocol/index.js';
import { SessionInitiator } from '../../protocol/session/index.js';
import type { HandshakeResult, Pbkdf2Sha256, RandomSource } from '../../protocol/session/index.js';
import type { DeviceLink, NotifyName, WritableName } from './device-link.js';
import { ACK_TIMEOUT_MS, NOTIFY_TIMEOUT_MS } from './limits.js';
import type { Timers } from '../../protocol/index.js';
import { systemTimers } from './wait.js';

export interface DeviceSessionOptions {
  now: Clock;
  random: RandomSource;
  /** The platform's native PBKDF2 for the setup code, where it has one. */
  pbkdf2?: Pbkdf2Sha256;
  timers?: Timers;
}

/**
 * The protocol over one {@link DeviceLink}: read `info`, run the SPAKE2+ handshake on `session`,
 * then sealed, framed messages out (wifi, claim, control) and status/scan notifications in. Waits
 * end with LINK_LOST when the link drops, and with SESSION_TIMEOUT when nothing comes in NOTIFY_TIMEOUT_MS.
 */
export class DeviceSession {
  readonly statuses: StatusMessage[] = [];
  readonly scans: ScanMessage[] = [];
  /** Frame bytes written so far (for the progress display). */
  bytesSent = 0;
  info: InfoMessage | undefined;
  private infoBytes: Uint8Array | undefined;
  private readonly links: Record<WritableName | NotifyName, MessageLink>;
  /**
   * The handshake in progress: each session message is taken by it as it arrives (not on a later
   * turn), so the channel is set before a sealed notification sent right after `done` is opened.
   */
  private handshaking: { hs: SessionInitiator; results: HandshakeResult[] } | undefined;
  private waiters: Array<() => void> = [];
  private failure: ProvisioningError | undefined;
  private readonly timers: Timers;
  /** Write Requests only until `info` says otherwise (PROTOCOL.md §2.4). */
  private window = new WriteWindowSender(undefined);
  onStatus: ((status: StatusMessage) => void) | undefined;

  constructor(
    private readonly link: DeviceLink,
    private readonly options: DeviceSessionOptions,
  ) {
    this.timers = options.timers ?? systemTimers;
    const make = (characteristic: WritableName | NotifyName): MessageLink =>
      new MessageLink({ characteristic, attPayload: link.attPayload, now: options.now });
    this.links = {
      session: make('session'),
      wifi: make('wifi'),
      claim: make('claim'),
      control: make('control'),
      status: make('status'),
      scan: make('scan'),
    };
    for (const n of ['session', 'status', 'scan'] as const) link.onFrame(n, (frame) => this.receive(n, frame));
    link.onDrop(() => this.fail(new ProvisioningError('LINK_LOST')));
  }

  async readInfo(): Promise<InfoMessage> {
    const bytes = await this.link.readInfo();
    const message = new MessageLink({
      characteristic: 'info',
      attPayload: this.link.attPayload,
      now: this.options.now,
    }).decodeValue(bytes);
    if (message.type !== 'info')
      throw new ProvisioningError('MESSAGE_INVALID', { detail: 'info is not an info message' });
    this.infoBytes = bytes;
    this.info = message;
    // Write Commands only where the device announced a window and this stack can send them.
    this.window = new WriteWindowSender(this.link.writeWithoutResponse ? writeWindowOf(message.features) : undefined);
    return message;
  }

  /** SPAKE2+ with the setup code; resolves once the channel is established, rejects with the session error. */
  async handshake(setupCode: string, deviceId: string): Promise<void> {
    if (!this.infoBytes) await this.readInfo();
    const { random, pbkdf2 } = this.options;
    const hs = new SessionInitiator({
      setupCode,
      deviceId,
      info: this.infoBytes!,
      random,
      ...(pbkdf2 ? { pbkdf2 } : {}),
    });
    const results: HandshakeResult[] = [];
    this.handshaking = { hs, results };
    try {
      await this.write('session', this.links.session.sendBytes(hs.start()));
      for (;;) {
        const r = await this.until(() => results.shift(), NOTIFY_TIMEOUT_MS, 'a handshake message');
        if (r.reply) await this.write('session', this.links.session.sendBytes(r.reply));
        if (r.status === 'established') return;
        if (r.status === 'failed') throw r.error;
      }
    } finally {
      this.handshaking = undefined;
    }
  }

  /** The write window in use (frames), or undefined: every frame a Write Request. */
  get writeWindow(): number | undefined {
    return this.window.window;
  }

  /**
   * Writes a message's frames. `flush` (default): its last frame is a Write Request, so this
   * resolves once the device has taken every frame; without it the next message may follow at once.
   */
  async send(name: 'wifi' | 'claim' | 'control', message: Message, flush = true): Promise<void> {
    await this.write(name, this.links[name].send(message), flush);
  }

  /**
   * The transfer: wifi, claim and commit written back to back (the device handles them in order,
   * PROTOCOL.md §5.7: a rejected wifi or claim makes the commit fail with UNEXPECTED_MESSAGE), then
   * both acknowledgements awaited (ACK_TIMEOUT_MS each); the first rejection is thrown with its
   * code. Resolves with the claim sent and the index of the first status after its acknowledgement.
   */
  async sendJob(wifi: WifiMessage, claim: () => Promise<ClaimMessage>): Promise<{ claim: ClaimMessage; next: number }> {
    let next = this.statuses.length;
    await this.send('wifi', wifi, false);
    const sent = await claim();
    await this.send('claim', sent, false);
    await this.send('control', { type: 'control', command: 'commit' });
    for (const step of [ACCEPTED_STEP.wifi, ACCEPTED_STEP.claim] as string[]) {
      const answer = await this.status((s) => s.error !== undefined || s.step === step, next, ACK_TIMEOUT_MS);
      if (answer.error !== undefined) throw statusError(answer);
      next = this.statuses.indexOf(answer, next) + 1;
    }
    return { claim: sent, next };
  }

  /**
   * Sends a wifi or claim message and waits, at most ACK_TIMEOUT_MS, for the device's answer
   * (PROTOCOL.md §5.7): the status with the accepted step, or a status with err (thrown as that code).
   */
  async sendAcknowledged(message: WifiMessage | ClaimMessage): Promise<StatusMessage> {
    const from = this.statuses.length;
    const accepted: string = ACCEPTED_STEP[message.type];
    await this.send(message.type, message);
    const answer = await this.status((s) => s.error !== undefined || s.step === accepted, from, ACK_TIMEOUT_MS);
    if (answer.error !== undefined) throw statusError(answer);
    return answer;
  }

  /** The first status at index >= `from` that matches (already received or still to come). */
  status(match: (s: StatusMessage) => boolean, from: number, timeoutMs = NOTIFY_TIMEOUT_MS): Promise<StatusMessage> {
    return this.until(() => this.statuses.slice(from).find(match), timeoutMs, 'a status notification');
  }

  /**
   * Reads `status` (a sealed read value: it takes the next device-to-phone counter, PROTOCOL.md §2.3).
   * Fails with the session's failure, or CONFIG_INVALID where the transport has no read.
   */
  async readStatus(): Promise<StatusMessage> {
    if (this.failure) throw this.failure;
    if (!this.link.readStatus)
      throw new ProvisioningError('CONFIG_INVALID', { detail: 'this transport cannot read status' });
    const value = await this.link.readStatus();
    try {
      const m = this.links.status.decodeValue(value);
      if (m.type !== 'status')
        throw new ProvisioningError('MESSAGE_INVALID', { detail: 'the status value is not a status message' });
      return m;
    } catch (err) {
      const failure = isProvisioningError(err)
        ? err
        : new ProvisioningError('INTERNAL', { detail: 'bad status value', cause: err });
      this.fail(failure);
      throw failure;
    }
  }

  /** Asks the device for its Wi-Fi scan and waits for the result. */
  async scan(): Promise<ScanMessage> {
    const from = this.scans.length;
    const statusFrom = this.statuses.length;
    await this.send('control', { type: 'control', command: 'scan' });
    const answer = await this.until<ScanMessage | StatusMessage>(
      () => this.scans[from] ?? this.statuses.slice(statusFrom).find((s) => s.error !== undefined),
      NOTIFY_TIMEOUT_MS,
      'the Wi-Fi scan',
    );
    if (answer.type === 'status') throw statusError(answer);
    return answer;
  }

  private async write(name: WritableName, frames: Uint8Array[], flush = true): Promise<void> {
    for (const [i, f] of frames.entries()) {
      if (this.failure) throw this.failure;
      const kind = this.window.next(flush && i === frames.length - 1);
      try {
        await this.link.write(name, f, kind);
      } catch (err) {
        throw (
          this.failure ??
          new ProvisioningError('LINK_LOST', { detail: `write failed: ${(err as Error).message}`, cause: err })
        );
      }
      this.bytesSent += f.length;
    }
  }

  private receive(name: NotifyName, frame: Uint8Array): void {
    try {
      if (name === 'session') {
        const bytes = this.links.session.receiveBytes(frame);
        const handshake = this.handshaking;
        if (bytes && handshake) {
          const r = handshake.hs.receive(bytes);
          if (r.status === 'established')
            for (const n of ['wifi', 'claim', 'control', 'status', 'scan'] as const) this.links[n].setCipher(r.channel);
          handshake.results.push(r);
        }
      } else {
        const m = this.links[name].receive(frame);
        if (m?.type === 'status') {
          this.statuses.push(m);
          this.onStatus?.(m);
        }
        if (m?.type === 'scan') this.scans.push(m);
      }
    } catch (err) {
      // A frame we cannot open breaks the session (tampering or a bug): stop here, with its code.
      this.fail(
        isProvisioningError(err) ? err : new ProvisioningError('INTERNAL', { detail: 'bad notification', cause: err }),
      );
    }
    for (const w of this.waiters.splice(0)) w();
  }

  private fail(err: ProvisioningError): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w();
  }

  private until<T>(pick: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const handle = this.timers.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new ProvisioningError('SESSION_TIMEOUT', { detail: `no ${what} within ${timeoutMs} ms` }));
      }, timeoutMs);
      const check = (): void => {
        const v = pick();
        if (v !== undefined) {
          this.timers.clearTimeout(handle);
          resolve(v);
        } else if (this.failure) {
          this.timers.clearTimeout(handle);
          reject(this.failure);
        } else this.waiters.push(check);
      };
      check();
    });
  }
}

/** The error a failed status carries, as a ProvisioningError with the device's code. */
export function statusError(status: StatusMessage): ProvisioningError {
  return new ProvisioningError(status.error ?? 'INTERNAL', {
    ...(status.detail
      ? { detail: status.detail }
      : status.unknownErrorWire !== undefined
        ? { detail: `device error 0x${status.unknownErrorWire.toString(16)}` }
        : {}),
  });
}
