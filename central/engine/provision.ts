import { ProvisioningError, isProvisioningError, IN_PROGRESS_STATES } from '../../protocol/index.js';
import type { ClaimMessage, ErrorCode, ScanNetwork, StatusMessage, Clock, WifiMessage } from '../../protocol/index.js';
import type { Pbkdf2Sha256, RandomSource } from '../../protocol/session/index.js';
import type { DeviceLink } from './device-link.js';
import { DeviceSession, statusError } from './device-session.js';
import { MAX_LINK_ATTEMPTS, PROVISION_TIMEOUT_MS, RECONNECT_DELAY_MS } from './limits.js';
import type { Timers } from '../../protocol/index.js';
import { delay, systemTimers } from './wait.js';

export interface WifiSettings {
  ssid: string;
  /** Secret: only ever inside the sealed `wifi` message. Absent for an open network. */
  passphrase?: string;
  hidden?: boolean;
}

export interface ProvisionJob {
  /** The device id (QR payload `n`, or the advertised name). */
  deviceId: string;
  /** Secret: the setup code printed on the device. */
  setupCode: string;
  wifi: WifiSettings;
  /** Called right before the claim is sent: must give one with enough life left (CloudSession.claim). */
  claim: () => Promise<ClaimMessage>;
  /** Ask the device for its Wi-Fi scan first (shown through `onScan`). */
  scan?: boolean;
  /**
   * Asked when the device's run failed on the Wi-Fi input ({@link WIFI_INPUT_ERRORS}: a wrong
   * password, a network it cannot join) or refused the new settings: the settings to try next, sent
   * with `commit` again on the same session (PROTOCOL.md §6.1), or undefined to give up with that
   * error. Not timed by the engine: a person answers (a device that drops the idle session meanwhile
   * is reconnected to, with the new settings).
   */
  retryWifi?: (error: ProvisioningError) => Promise<WifiSettings | undefined>;
}

/** The run's failures that other Wi-Fi settings may fix (a scan or backend failure is not one). */
export const WIFI_INPUT_ERRORS: readonly ErrorCode[] = [
  'WIFI_NETWORK_NOT_FOUND',
  'WIFI_AUTH_FAILED',
  'WIFI_ASSOCIATION_FAILED',
  'WIFI_NO_ADDRESS',
  'WIFI_TIMEOUT',
];

export type Phase = 'connect' | 'session' | 'scan' | 'transfer' | 'provision';

export interface ProvisionHooks {
  /** A phase starts; `bytesSent` counts frame bytes written so far in this attempt. */
  onPhase?: (phase: Phase, attempt: number, bytesSent: number) => void;
  onStatus?: (status: StatusMessage) => void;
  onScan?: (networks: readonly ScanNetwork[]) => void;
  onRetry?: (attempt: number, error: ProvisioningError) => void;
}

export interface ProvisionResult {
  deviceId: string;
  thingName: string;
  certificateId: string;
  /** Time spent in each phase over all attempts, ms. */
  phasesMs: Partial<Record<Phase, number>>;
  /** Frame bytes written, all attempts. */
  bytesSent: number;
  attempts: number;
  /** ATT payload (negotiated ATT_MTU - 3, capped at 512) of the last link, bytes. */
  attPayload: number;
}

export interface ProvisionOptions {
  /** Opens a fresh link to the device (scan + connect); called again after a drop. */
  connect: () => Promise<DeviceLink>;
  random: RandomSource;
  /** The platform's native PBKDF2 for the setup code, where it has one (protocol/session). */
  pbkdf2?: Pbkdf2Sha256;
  now?: Clock;
  timers?: Timers;
  hooks?: ProvisionHooks;
  maxAttempts?: number;
}

/** Errors after which another attempt over a new link can succeed. */
function retriable(err: unknown): boolean {
  return isProvisioningError(err) && (err.code === 'LINK_LOST' || err.code === 'SESSION_TIMEOUT');
}

/**
 * Provisions one device: connect, info, secure session, (scan), wifi, claim, commit, then follow
 * status to the end. A dropped link is retried up to `maxAttempts` times without the user starting
 * over: after reconnecting and a new session the device's state says where to go on (a job that
 * was committed keeps running on the device; the phone just follows it).
 */
export async function provisionDevice(job: ProvisionJob, options: ProvisionOptions): Promise<ProvisionResult> {
  const now = options.now ?? Date.now;
  const timers = options.timers ?? systemTimers;
  const hooks = options.hooks ?? {};
  const maxAttempts = options.maxAttempts ?? MAX_LINK_ATTEMPTS;
  const phases = new PhaseTimes(now);
  // Its wifi changes when the person retries the Wi-Fi settings; a reconnect goes on with the new ones.
  const current: ProvisionJob = { ...job };
  let bytesSent = 0;

  for (let attempt = 1; ; attempt++) {
    phases.restart();
    hooks.onPhase?.('connect', attempt, 0);
    let link: DeviceLink | undefined;
    let session: DeviceSession | undefined;
    try {
      link = await options.connect();
      const opened = new DeviceSession(link, {
        now,
        random: options.random,
        timers,
        ...(options.pbkdf2 ? { pbkdf2: options.pbkdf2 } : {}),
      });
      session = opened;
      if (hooks.onStatus) opened.onStatus = hooks.onStatus;
      const enter = (next: Phase): void => {
        phases.enter(next);
        hooks.onPhase?.(next, attempt, opened.bytesSent);
      };
      const final = await runAttempt(current, opened, enter, hooks);
      phases.account();
      if (final.state !== 'provisioned' || !final.result) throw statusError(final);
      bytesSent += opened.bytesSent;
      // The outcome is known; a link the device already dropped may fail to close, which changes nothing.
      await link.close().catch(() => undefined);
      return {
        deviceId: job.deviceId,
        thingName: final.result.thingName,
        certificateId: final.result.certificateId,
        phasesMs: phases.ms,
        bytesSent,
        attempts: attempt,
        attPayload: link.attPayload,
      };
    } catch (err) {
      bytesSent += session?.bytesSent ?? 0;
      phases.account();
      // Usually the link is why this attempt failed (LINK_LOST): closing it then fails too.
      await link?.close().catch(() => undefined);
      if (!retriable(err) || attempt >= maxAttempts) throw err;
      hooks.onRetry?.(attempt, err as ProvisioningError);
      await delay(RECONNECT_DELAY_MS, timers);
    }
  }
}

/** Time spent in each phase, over all attempts. */
class PhaseTimes {
  readonly ms: Partial<Record<Phase, number>> = {};
  private phase: Phase = 'connect';
  private start: number;

  constructor(private readonly now: () => number) {
    this.start = now();
  }

  /** A new attempt: back to `connect`. */
  restart(): void {
    this.phase = 'connect';
    this.start = this.now();
  }

  /** Adds the time since the phase (or the last account) started to the phase. */
  account(): void {
    this.ms[this.phase] = (this.ms[this.phase] ?? 0) + (this.now() - this.start);
    this.start = this.now();
  }

  enter(next: Phase): void {
    this.account();
    this.phase = next;
    this.start = this.now();
  }
}

/** One attempt over an open link: the right device, a session, then a new job or the one running. */
async function runAttempt(
  job: ProvisionJob,
  session: DeviceSession,
  enter: (phase: Phase) => void,
  hooks: ProvisionHooks,
): Promise<StatusMessage> {
  const info = await session.readInfo();
  if (info.deviceId !== job.deviceId)
    throw new ProvisioningError('DEVICE_NOT_FOUND', {
      detail: `connected to ${info.deviceId}, not ${job.deviceId}`,
    });
  enter('session');
  await session.handshake(job.setupCode, job.deviceId);
  const first = await session.status(() => true, 0);
  // Another phone (or the SoftAP page) holds the device's job: its state is not ours to follow.
  if (first.error === 'DEVICE_BUSY') throw statusError(first);
  if (first.state === 'provisioned' || IN_PROGRESS_STATES.includes(first.state)) {
    // Reconnected to a job that was already committed: follow it.
    enter('provision');
    return session.status((s) => s.state === 'provisioned' || s.state === 'failed', 0, PROVISION_TIMEOUT_MS);
  }
  return runJob(job, session, enter, hooks);
}

/** A new job: (scan), Wi-Fi, claim, commit; then its status to the end, with the Wi-Fi retried on the same session. */
async function runJob(
  job: ProvisionJob,
  session: DeviceSession,
  enter: (phase: Phase) => void,
  hooks: ProvisionHooks,
): Promise<StatusMessage> {
  if (job.scan) {
    enter('scan');
    hooks.onScan?.((await session.scan()).networks);
  }
  enter('transfer');
  // Wifi, claim (fetched right before it is sent: the source replaces a claim about to expire) and
  // commit back to back (PROTOCOL.md §5.7, writing ahead); each of wifi and claim is answered by a
  // status, accepted or rejected with err, within ACK_TIMEOUT_MS.
  const sent = await session.sendJob(wifiMessage(job.wifi), () => job.claim());
  let claim = sent.claim;
  enter('provision');
  let final = await outcome(session, sent.next);
  for (;;) {
    if (final.state !== 'failed' || !final.error || !WIFI_INPUT_ERRORS.includes(final.error)) return final;
    if (!(await sendRetriedWifi(job, session, statusError(final), enter))) return final;
    // The device keeps this session's claim after a failed run; a new one only where the source replaced it.
    const fresh = await job.claim();
    if (fresh.certificatePem !== claim.certificatePem) await session.sendAcknowledged(fresh);
    claim = fresh;
    enter('provision');
    const from = session.statuses.length;
    await session.send('control', { type: 'control', command: 'commit' });
    final = await outcome(session, from);
  }
}

/** The status at index `from` or later that ends the run (or rejects the commit). */
function outcome(session: DeviceSession, from: number): Promise<StatusMessage> {
  return session.status(
    (s) =>
      s.state === 'provisioned' ||
      s.state === 'failed' ||
      (s.error !== undefined && !IN_PROGRESS_STATES.includes(s.state)),
    from,
    PROVISION_TIMEOUT_MS,
  );
}

/**
 * Asks `job.retryWifi` for other settings and sends them (asking again while they are refused, e.g. a
 * password too short): true once the device accepted new settings, false when the person gave up.
 */
async function sendRetriedWifi(
  job: ProvisionJob,
  session: DeviceSession,
  error: ProvisioningError,
  enter: (phase: Phase) => void,
): Promise<boolean> {
  for (let reason = error; ;) {
    const next = await job.retryWifi?.(reason);
    if (!next) return false;
    // Once, when the person first answers: the time they took stays out of the transfer.
    if (reason === error) enter('transfer');
    // Before it is sent: a link lost meanwhile reconnects with what the person typed last.
    job.wifi = next;
    try {
      await session.sendAcknowledged(wifiMessage(next));
      return true;
    } catch (err) {
      if (!isProvisioningError(err) || err.code !== 'MESSAGE_INVALID') throw err;
      reason = err;
    }
  }
}

function wifiMessage(wifi: WifiSettings): WifiMessage {
  return {
    type: 'wifi',
    ssid: new TextEncoder().encode(wifi.ssid),
    ...(wifi.passphrase !== undefined ? { passphrase: wifi.passphrase } : {}),
    ...(wifi.hidden ? { hidden: true } : {}),
  };
}
