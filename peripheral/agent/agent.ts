/**
 * The provisioning agent: ONE state machine (protocol/states.ts), the only owner of the device's
 * provisioning state. Transports (BLE GATT, SoftAP) open a session, hand it a job (Wi-Fi
 * credentials, claim, template parameters) and a `commit`; the agent joins Wi-Fi, runs the fleet
 * routine and publishes every transition as a status event.
 *
 * Durability: the running job is kept in job.json (0600) and every step in the journal, so that
 * `start()` after a crash or power cut resumes the job (the fleet routine picks up from the journal
 * and the credential store: one thing, no lost certificate) or, when the job file never became
 * durable, comes up idle for the phone to send the job again.
 */
import { randomBytes } from 'node:crypto';
import {
  ProtocolError,
  ProvisioningError,
  UsageError,
  MAX_DETAIL_BYTES,
  MAX_SCAN_RESULTS,
  assertCommandAllowed,
  transition,
} from '../../protocol/index.js';
import type {
  Clock,
  ErrorCode,
  ClaimMessage,
  ScanNetwork,
  StatusMessage,
  StatusResult,
  WifiMessage,
  ControlCommand,
  ProvisioningState,
} from '../../protocol/index.js';
import { assertClaimUsable, claimValidity, finishCommit } from '../fleet/index.js';
import type { FleetStep } from '../fleet/index.js';
import type { CommittedCredentials, CredentialStore, ProvisioningJournal } from '../storage/index.js';
import type { FleetRunner } from './fleet-runner.js';
import { claimFromMessage, wifiFromMessage } from './job.js';
import type { Job, JobClaim, JobFile } from './job.js';
import { RUN_ORDER, STATE_PROGRESS, STATE_STEP } from './progress.js';
import { ssidLabel } from '../wifi/index.js';
import type { WifiBackend, WifiCredentials } from '../wifi/index.js';

export interface AgentOptions {
  readonly store: CredentialStore;
  readonly journal: ProvisioningJournal;
  readonly jobFile: JobFile;
  readonly wifi: WifiBackend;
  readonly fleet: FleetRunner;
  readonly clock: Clock;
  /** Job ids for the journal (default: 8 random bytes, hex). */
  readonly newJobId?: () => string;
  /** One line per transition and failure; never given a secret. */
  readonly log?: (line: string) => void;
}

export type StatusListener = (status: StatusMessage) => void;

/** One transition of the current run, by the injected clock. */
export interface RunMark {
  readonly state: ProvisioningState;
  readonly at: number;
}

export interface CommandResult {
  /** For `scan`: the visible networks, strongest first. */
  readonly networks?: readonly ScanNetwork[];
}

/** A transport's hold on the agent: one at a time (DEVICE_BUSY for another). */
export interface AgentSession {
  readonly transport: string;
  readonly closed: boolean;
  /** Takes Wi-Fi credentials (replacing earlier ones): allowed before commit and after a failure. */
  submitWifi(message: WifiMessage): void;
  /** Takes the claim (replacing an earlier one); an expired claim is refused with CLAIM_EXPIRED at once. */
  submitClaim(message: ClaimMessage): void;
  /** `commit` starts the job and returns once it runs; `scan` returns the networks. */
  command(command: ControlCommand): Promise<CommandResult>;
  scan(): Promise<readonly ScanNetwork[]>;
  /** Releases the agent. Before commit (or after a failure) the job is forgotten and the state goes idle. */
  close(): void;
}

function truncateDetail(detail: string | undefined): string | undefined {
  if (detail === undefined) return undefined;
  const bytes = Buffer.from(detail, 'utf8');
  return bytes.length <= MAX_DETAIL_BYTES
    ? detail
    : `${bytes
        .subarray(0, MAX_DETAIL_BYTES - 3)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')}...`;
}

function asProvisioningError(err: unknown, aborted: boolean): ProvisioningError {
  if (aborted)
    return err instanceof ProvisioningError && err.code === 'ABORTED'
      ? err
      : new ProvisioningError('ABORTED', { detail: 'aborted by the phone', cause: err });
  if (err instanceof ProvisioningError) return err;
  return new ProvisioningError('INTERNAL', { detail: 'unexpected failure', cause: err });
}

function sameWifi(a: WifiCredentials, b: WifiCredentials): boolean {
  return Buffer.from(a.ssid).equals(Buffer.from(b.ssid)) && a.passphrase === b.passphrase && !!a.hidden === !!b.hidden;
}

export class ProvisioningAgent {
  private current: ProvisioningState = 'idle';
  private lastError: { code: ErrorCode; detail?: string } | undefined;
  private result: StatusResult | undefined;
  private readonly listeners = new Set<StatusListener>();
  private session: Session | undefined;
  private wifiDraft: WifiCredentials | undefined;
  private claimDraft: JobClaim | undefined;
  /** Credentials the backend joined in this process: a retry with the same ones skips the join. */
  private joined: WifiCredentials | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private marks: RunMark[] = [];
  private started = false;

  constructor(private readonly options: AgentOptions) {}

  get state(): ProvisioningState {
    return this.current;
  }

  /** The status the transports show (notified on every change, readable at any time). */
  status(): StatusMessage {
    const state = this.current;
    const progress = STATE_PROGRESS[state];
    const detail = truncateDetail(this.lastError?.detail);
    return {
      type: 'status',
      state,
      step: STATE_STEP[state],
      ...(progress !== undefined ? { progress } : {}),
      ...(state === 'failed' && this.lastError ? { error: this.lastError.code, ...(detail ? { detail } : {}) } : {}),
      ...(state === 'provisioned' && this.result ? { result: this.result } : {}),
    };
  }

  /** Subscribes to status events; returns the unsubscribe function. */
  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Transitions of the current (or last) run, for figures: from `wifiConnecting` to the end. */
  runMarks(): readonly RunMark[] {
    return [...this.marks];
  }

  /** Whether a transport holds the agent. */
  get busy(): boolean {
    return this.session !== undefined;
  }

  /**
   * Boot: committed credentials → provisioned; a saved job → resumed in the background (the state
   * starts at wifiConnecting: a resumed run has no phone); otherwise idle.
   */
  async start(): Promise<ProvisioningState> {
    if (this.started) throw new UsageError('INTERNAL', { detail: 'the agent is already started' });
    this.started = true;
    const committed = await this.options.store.loadCommitted();
    if (committed) {
      this.result = { thingName: committed.thingName, certificateId: committed.certificateId };
      this.current = 'provisioned';
      await this.finishCommit(committed);
      await this.options.jobFile.remove();
      this.log(`boot: provisioned as ${committed.thingName}`);
      return this.current;
    }
    const job = await this.options.jobFile.load();
    if (job) {
      this.log(`boot: resuming job ${job.jobId}`);
      this.wifiDraft = job.wifi;
      this.claimDraft = job.claim;
      this.current = 'wifiConnecting';
      this.marks = [{ state: 'wifiConnecting', at: this.now() }];
      this.emit();
      this.launch(job, true);
      return this.current;
    }
    this.log('boot: idle');
    return this.current;
  }

  /**
   * A power cut after the commit point leaves the commit's last steps undone (peripheral/fleet
   * commit.ts): done here, best effort. The device is provisioned either way, so a storage failure
   * is logged rather than keeping it from coming up.
   */
  private async finishCommit(committed: CommittedCredentials): Promise<void> {
    const { store, journal } = this.options;
    try {
      if (await finishCommit(store, journal, committed))
        this.log('boot: finished the commit a power cut interrupted (journal record, pending files)');
    } catch (err) {
      const failure = asProvisioningError(err, false);
      this.log(
        `boot: could not finish the interrupted commit: ${failure.code}${failure.detail ? ` (${failure.detail})` : ''}`,
      );
    }
  }

  /** Resolves when no job is running. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Takes the agent for one transport; throws DEVICE_BUSY while another holds it. */
  openSession(transport: string): AgentSession {
    if (!this.started) throw new UsageError('INTERNAL', { detail: 'start the agent first' });
    if (this.session)
      throw new ProtocolError('DEVICE_BUSY', { detail: `a phone is connected over ${this.session.transport}` });
    const session = new Session(this, transport);
    this.session = session;
    if (this.current === 'idle') this.go('sessionEstablished');
    this.log(`session opened over ${transport}`);
    return session;
  }

  /** Factory reset (also from the CLI or a button): forgets Wi-Fi, credentials, journal and job. */
  async factoryReset(): Promise<void> {
    if (this.running) throw new ProtocolError('DEVICE_BUSY', { detail: 'provisioning is running: abort it first' });
    await this.options.wifi.forget();
    await this.options.jobFile.remove();
    await this.options.store.reset();
    await this.options.journal.clear();
    this.wifiDraft = undefined;
    this.claimDraft = undefined;
    this.joined = undefined;
    this.result = undefined;
    this.lastError = undefined;
    this.marks = [];
    this.log('factory reset');
    if (this.current !== 'idle') this.go('idle');
    if (this.session) this.go('sessionEstablished');
  }

  /** Aborts a running job and waits for it (shutdown). */
  async stop(): Promise<void> {
    this.abort?.abort(new ProvisioningError('ABORTED', { detail: 'the device is shutting down' }));
    await this.settled();
  }

  // ---- used by Session ------------------------------------------------------------------------

  /** @internal */
  acceptWifi(message: WifiMessage): void {
    this.assertEditable();
    this.wifiDraft = wifiFromMessage(message);
    this.log(`Wi-Fi credentials received for ${ssidLabel(message.ssid)}`);
  }

  /** @internal */
  acceptClaim(message: ClaimMessage): void {
    this.assertEditable();
    const claim = claimFromMessage(message);
    this.checkClaim(claim);
    this.claimDraft = claim;
    this.log(`claim received for template ${claim.templateName} at ${claim.host}:${claim.port}`);
  }

  /** @internal */
  async runCommand(command: ControlCommand): Promise<CommandResult> {
    assertCommandAllowed(this.current, command);
    switch (command) {
      case 'scan':
        return { networks: await this.scanNetworks() };
      case 'commit':
        this.commit();
        return {};
      case 'abort':
        this.abort?.abort(new ProvisioningError('ABORTED', { detail: 'aborted by the phone' }));
        await this.settled();
        return {};
      case 'factoryReset':
        await this.factoryReset();
        return {};
    }
  }

  /** @internal */
  async scanNetworks(): Promise<readonly ScanNetwork[]> {
    if (this.running) throw new ProtocolError('DEVICE_BUSY', { detail: 'provisioning is running' });
    const networks = await this.options.wifi.scan();
    return [...networks].sort((a, b) => b.rssi - a.rssi).slice(0, MAX_SCAN_RESULTS);
  }

  /** @internal */
  release(session: Session): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.log(`session over ${session.transport} closed`);
    if (this.running) return;
    if (this.current === 'sessionEstablished' || this.current === 'failed') {
      this.wifiDraft = undefined;
      this.claimDraft = undefined;
      this.go('idle');
    }
  }

  // ---- the run ------------------------------------------------------------------------------

  private assertEditable(): void {
    if (this.running) throw new ProtocolError('DEVICE_BUSY', { detail: `provisioning is in state ${this.current}` });
    if (this.current === 'provisioned') throw new ProtocolError('DEVICE_ALREADY_PROVISIONED');
    if (this.current !== 'sessionEstablished' && this.current !== 'failed') {
      throw new ProtocolError('UNEXPECTED_MESSAGE', { detail: `not accepted in state ${this.current}` });
    }
  }

  private checkClaim(claim: JobClaim): void {
    assertClaimUsable(
      claimValidity({
        certificatePem: claim.certificatePem,
        privateKeyPem: claim.privateKeyPem,
        expiresAt: claim.expiresAt,
      }),
      new Date(this.options.clock()),
    );
  }

  private commit(): void {
    const wifi = this.wifiDraft;
    const claim = this.claimDraft;
    if (!wifi || !claim) {
      throw new ProtocolError('UNEXPECTED_MESSAGE', {
        detail: `commit needs ${wifi ? '' : 'wifi'}${!wifi && !claim ? ' and ' : ''}${claim ? '' : 'claim'} first`,
      });
    }
    // The claim may have expired since it arrived: report it so the phone sends a fresh one.
    this.checkClaim(claim);
    const job: Job = { jobId: this.options.newJobId?.() ?? randomBytes(8).toString('hex'), wifi, claim };
    this.lastError = undefined;
    this.marks = [];
    this.go('wifiConnecting');
    this.launch(job, false);
  }

  private launch(job: Job, resumed: boolean): void {
    const abort = new AbortController();
    this.abort = abort;
    this.running = (async () => {
      const finish = await this.run(job, resumed, abort.signal);
      // The final state is published only once the run has let go of everything, so that a phone
      // reacting to it at once (commit again, factory reset) never overlaps the ending run.
      this.running = undefined;
      this.abort = undefined;
      finish();
    })();
  }

  /** Runs the job; never throws. Returns the final transition for {@link launch} to apply. */
  private async run(job: Job, resumed: boolean, signal: AbortSignal): Promise<() => void> {
    const { journal, jobFile } = this.options;
    // The fleet routine journals its own failures; before it (job file, Wi-Fi) the agent does.
    let inFleet = false;
    try {
      if (!resumed) {
        await jobFile.save(job);
        await journal.append({ step: 'job-accepted', jobId: job.jobId });
      }
      if (!(this.joined && sameWifi(this.joined, job.wifi))) {
        this.joined = undefined;
        const joined = await this.options.wifi.join(job.wifi, { signal });
        this.joined = job.wifi;
        await journal.append({ step: 'wifi-joined', ssid: ssidLabel(job.wifi.ssid) });
        this.log(`Wi-Fi joined ${ssidLabel(job.wifi.ssid)}${joined.address ? ` (${joined.address})` : ''}`);
      }
      signal.throwIfAborted();
      this.advance('wifiConnected');
      this.advance('cloudConnecting');
      inFleet = true;
      const result = await this.options.fleet({
        claim: job.claim,
        signal,
        onStep: (step, info) => this.onFleetStep(step, info),
      });
      this.result = { thingName: result.thingName, certificateId: result.certificateId };
      this.log(
        `provisioned as ${result.thingName} (certificate ${result.certificateId.slice(0, 12)}…, from ${result.startedFrom})`,
      );
      this.wifiDraft = undefined;
      this.claimDraft = undefined;
      // The credentials are committed: a crash from here boots provisioned whatever happens to job.json.
      await jobFile
        .remove()
        .catch((err: unknown) => this.log(`could not remove the job file: ${(err as Error).message}`));
      return () => this.advance('provisioned');
    } catch (err) {
      const failure = asProvisioningError(err, signal.aborted);
      this.lastError = { code: failure.code, ...(failure.detail ? { detail: failure.detail } : {}) };
      this.log(`failed in ${this.current}: ${failure.code}${failure.detail ? ` (${failure.detail})` : ''}`);
      // The journal says why the last run ended (`device status` reads it); a detail is never secret.
      const detail = truncateDetail(failure.detail);
      if (!inFleet) {
        await journal
          .append({ step: 'failed', code: failure.code, ...(detail ? { detail } : {}) })
          .catch((e: unknown) => this.log(`could not journal the failure: ${(e as Error).message}`));
      }
      // A failed job is not resumed on boot (unless this remove fails: said in the log); pending
      // credentials stay for the next job to reuse.
      await jobFile
        .remove()
        .catch((e: unknown) => this.log(`could not remove the failed job's file: ${(e as Error).message}`));
      return () => {
        if (this.current !== 'failed') this.go('failed');
      };
    }
  }

  private onFleetStep(step: FleetStep, info: Record<string, string>): void {
    // A first run over a journal that holds only this job's earlier steps is not a resumption.
    if (step === 'resumed' && info['plan'] === 'issue') return;
    const detail = Object.entries(info)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    this.log(`fleet: ${step}${detail ? ` ${detail}` : ''}`);
    if (step === 'cloud-connected') this.advance('certificate');
    else if (step === 'certificate-issued') this.advance('registering');
    else if (step === 'thing-registered') this.advance('verifying');
    else if (step === 'verified') this.advance('verifying');
  }

  /** Moves forward to `target`, passing through every state in between (a resumed run skips work, not states). */
  private advance(target: ProvisioningState): void {
    const from = RUN_ORDER.indexOf(this.current);
    const to = RUN_ORDER.indexOf(target);
    if (from < 0 || to < 0)
      throw new UsageError('INTERNAL', { detail: `cannot advance from ${this.current} to ${target}` });
    for (let i = from + 1; i <= to; i++) this.go(RUN_ORDER[i]!);
  }

  private go(to: ProvisioningState): void {
    this.current = transition(this.current, to);
    if (RUN_ORDER.includes(to) || to === 'failed') this.marks.push({ state: to, at: this.now() });
    this.emit();
  }

  private emit(): void {
    const status = this.status();
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (err) {
        this.log(`status listener failed: ${(err as Error).message}`);
      }
    }
  }

  private now(): number {
    return this.options.clock();
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

class Session implements AgentSession {
  private done = false;

  constructor(
    private readonly agent: ProvisioningAgent,
    readonly transport: string,
  ) {}

  get closed(): boolean {
    return this.done;
  }

  private check(): void {
    if (this.done) throw new UsageError('SESSION_CLOSED', { detail: 'this agent session is closed' });
  }

  submitWifi(message: WifiMessage): void {
    this.check();
    this.agent.acceptWifi(message);
  }

  submitClaim(message: ClaimMessage): void {
    this.check();
    this.agent.acceptClaim(message);
  }

  command(command: ControlCommand): Promise<CommandResult> {
    this.check();
    return this.agent.runCommand(command);
  }

  async scan(): Promise<readonly ScanNetwork[]> {
    this.check();
    return (await this.agent.runCommand('scan')).networks ?? [];
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.agent.release(this);
  }
}
