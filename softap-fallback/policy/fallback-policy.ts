/**
 * WHEN to fall back to the SoftAP, as a pure state machine: events in, decisions out, time read
 * from an injected monotonic clock, no timers. A driver asks {@link FallbackPolicy.nextDeadline}
 * when to send the next `tick`.
 *
 * Rules (README, "When the AP runs"):
 * - The device *needs setup* while it is not provisioned, or while it is provisioned but has had no
 *   Wi-Fi for `wifiLossMs` (auto-reconfiguration, the seed's 300 s) until Wi-Fi comes back or it is
 *   provisioned again.
 * - BLE advertises whenever setup is needed and the controller is not known to be absent, except
 *   while a SoftAP job runs.
 * - The AP is *latched* on by the first trigger that fires while setup is needed: controller absent,
 *   no BLE phone for `bleIdleMs`, or auto-reconfiguration. The latch holds (a phone on the setup page
 *   is not cut off by a later BLE event) until setup is no longer needed: provisioning completed or
 *   Wi-Fi came back.
 * - One job at a time: the AP is down while a BLE job runs and BLE is off while a SoftAP job runs.
 *   The transport carrying the running job stays up until `jobEnded`, even after `provisioned`,
 *   so the phone still hears the result.
 * Decisions are edges: `startAp` only when the AP is (believed) down, and so on. Stops come first.
 */
import type { Clock } from '../../protocol/index.js';
import { UsageError } from '../../protocol/index.js';
import type { FallbackPolicyConfig, FallbackPolicyConfigInput } from './config.js';
import { resolveFallbackPolicyConfig } from './config.js';
import type { Decision, FallbackEvent, FallbackReason, Transport } from './types.js';

export type ApTrigger = 'noBleController' | 'bleIdle' | 'wifiLost';

export interface FallbackInitialState {
  provisioned: boolean;
  wifiUp: boolean;
}

export interface FallbackSnapshot {
  readonly now: number;
  readonly controller: 'unknown' | 'present' | 'absent';
  readonly provisioned: boolean;
  readonly wifiUp: boolean;
  readonly reconfiguring: boolean;
  readonly setupNeeded: boolean;
  readonly phoneConnected: boolean;
  readonly job: Transport | undefined;
  readonly apTrigger: ApTrigger | undefined;
  /** What the policy last decided (the driver makes it so). */
  readonly apUp: boolean;
  readonly bleEnabled: boolean;
}

export class FallbackPolicy {
  readonly config: FallbackPolicyConfig;
  readonly #clock: Clock;
  #now: number;
  #controller: 'unknown' | 'present' | 'absent' = 'unknown';
  #provisioned: boolean;
  #wifiUp: boolean;
  #wifiDownSince: number | undefined;
  #reconfiguring = false;
  #phoneConnected = false;
  #bleIdleSince: number | undefined;
  #job: Transport | undefined;
  #apTrigger: ApTrigger | undefined;
  #apRetryAt: number | undefined;
  #apUp = false;
  #bleEnabled = false;

  constructor(config: FallbackPolicyConfigInput, clock: Clock, initial: FallbackInitialState) {
    this.config = resolveFallbackPolicyConfig(config);
    this.#clock = clock;
    this.#now = clock();
    this.#provisioned = initial.provisioned;
    this.#wifiUp = initial.wifiUp;
    this.#wifiDownSince = initial.wifiUp ? undefined : this.#now;
  }

  /** Applies one event and returns the decisions it causes (possibly none). Send `tick` once at boot. */
  handle(event: FallbackEvent): Decision[] {
    // A clock that steps back (it should be monotonic) must not re-arm a fired deadline.
    this.#now = Math.max(this.#now, this.#clock());
    this.#apply(event);
    return this.#evaluate();
  }

  /** Clock time at which a `tick` may change something, or undefined if only events can. */
  nextDeadline(): number | undefined {
    const candidates: number[] = [];
    const { wifiLossMs, bleIdleMs } = this.config;
    if (
      this.#provisioned &&
      !this.#wifiUp &&
      !this.#reconfiguring &&
      wifiLossMs !== null &&
      this.#wifiDownSince !== undefined
    ) {
      candidates.push(this.#wifiDownSince + wifiLossMs);
    }
    if (
      this.#setupNeeded() &&
      this.#apTrigger === undefined &&
      this.#bleEnabled &&
      !this.#phoneConnected &&
      bleIdleMs !== null &&
      this.#bleIdleSince !== undefined
    ) {
      candidates.push(this.#bleIdleSince + bleIdleMs);
    }
    if (this.#apRetryAt !== undefined) candidates.push(this.#apRetryAt);
    return candidates.length === 0 ? undefined : Math.min(...candidates);
  }

  snapshot(): FallbackSnapshot {
    return {
      now: this.#now,
      controller: this.#controller,
      provisioned: this.#provisioned,
      wifiUp: this.#wifiUp,
      reconfiguring: this.#reconfiguring,
      setupNeeded: this.#setupNeeded(),
      phoneConnected: this.#phoneConnected,
      job: this.#job,
      apTrigger: this.#apTrigger,
      apUp: this.#apUp,
      bleEnabled: this.#bleEnabled,
    };
  }

  #setupNeeded(): boolean {
    return !this.#provisioned || this.#reconfiguring;
  }

  #apply(event: FallbackEvent): void {
    const now = this.#now;
    switch (event.type) {
      case 'bleControllerPresent':
        this.#controller = event.present ? 'present' : 'absent';
        if (!event.present) this.#phoneConnected = false;
        return;
      case 'blePhoneConnected':
        if (this.#controller === 'unknown') this.#controller = 'present';
        this.#phoneConnected = true;
        this.#bleIdleSince = undefined;
        return;
      case 'bleIdle':
        this.#phoneConnected = false;
        this.#bleIdleSince = this.#bleEnabled ? now : undefined;
        return;
      case 'wifiUp':
        this.#wifiUp = true;
        this.#wifiDownSince = undefined;
        this.#reconfiguring = false;
        return;
      case 'wifiDown':
        if (this.#wifiUp) this.#wifiDownSince = now;
        this.#wifiUp = false;
        return;
      case 'provisioned':
        this.#provisioned = true;
        this.#reconfiguring = false;
        // "No Wi-Fi for N seconds after being provisioned": the count starts now at the earliest.
        if (!this.#wifiUp) this.#wifiDownSince = now;
        return;
      case 'jobStarted':
        if (this.#job !== undefined) {
          throw new UsageError('DEVICE_BUSY', {
            detail: `a ${this.#job} job is running; take the JobLock before starting a job`,
          });
        }
        this.#job = event.transport;
        if (event.transport === 'ble') {
          this.#phoneConnected = true;
          this.#bleIdleSince = undefined;
        }
        return;
      case 'jobEnded':
        // A stale end (for a job that is not running) is ignored: the JobLock is the authority.
        if (this.#job === event.transport) this.#job = undefined;
        return;
      case 'apFailed':
        this.#apUp = false;
        this.#apRetryAt = now + this.config.apRetryMs;
        return;
      case 'tick':
        return;
      default: {
        const unknown: never = event;
        throw new UsageError('CONFIG_INVALID', { detail: `unknown fallback event ${JSON.stringify(unknown)}` });
      }
    }
  }

  #evaluate(): Decision[] {
    const now = this.#now;
    const { wifiLossMs, bleIdleMs } = this.config;
    if (this.#apRetryAt !== undefined && now >= this.#apRetryAt) this.#apRetryAt = undefined;
    if (
      this.#provisioned &&
      !this.#wifiUp &&
      wifiLossMs !== null &&
      this.#wifiDownSince !== undefined &&
      now - this.#wifiDownSince >= wifiLossMs
    ) {
      if (!this.#reconfiguring) this.#apTrigger = 'wifiLost';
      this.#reconfiguring = true;
    }
    const setupNeeded = this.#setupNeeded();
    if (!setupNeeded) this.#apTrigger = undefined;

    const stops: Decision[] = [];
    const starts: Decision[] = [];

    // BLE first, so that the idle clock starts in the same step BLE comes up.
    const bleWanted = this.#controller !== 'absent' && (this.#job === 'ble' || (setupNeeded && this.#job !== 'softap'));
    if (bleWanted !== this.#bleEnabled) {
      this.#bleEnabled = bleWanted;
      if (bleWanted) {
        starts.push({ type: 'enableBle', reason: this.#job === 'ble' ? 'job' : 'setupNeeded' });
        this.#bleIdleSince = this.#phoneConnected ? undefined : now;
      } else {
        stops.push({ type: 'disableBle', reason: this.#bleStopReason(setupNeeded) });
        this.#bleIdleSince = undefined;
        this.#phoneConnected = false;
      }
    }

    if (setupNeeded && this.#apTrigger === undefined) {
      if (this.config.noBleController && this.#controller === 'absent') this.#apTrigger = 'noBleController';
      else if (
        bleIdleMs !== null &&
        this.#bleEnabled &&
        !this.#phoneConnected &&
        this.#bleIdleSince !== undefined &&
        now - this.#bleIdleSince >= bleIdleMs
      )
        this.#apTrigger = 'bleIdle';
    }

    const apWanted =
      this.#apRetryAt === undefined &&
      (this.#job === 'softap' || (setupNeeded && this.#apTrigger !== undefined && this.#job !== 'ble'));
    if (apWanted !== this.#apUp) {
      this.#apUp = apWanted;
      if (apWanted)
        starts.push({ type: 'startAp', reason: this.#job === 'softap' ? 'job' : (this.#apTrigger as FallbackReason) });
      else stops.push({ type: 'stopAp', reason: this.#job === 'ble' ? 'bleJob' : 'setupDone' });
    }
    return [...stops, ...starts];
  }

  #bleStopReason(setupNeeded: boolean): FallbackReason {
    if (this.#controller === 'absent') return 'bleControllerAbsent';
    if (this.#job === 'softap') return 'softapJob';
    return setupNeeded ? 'softapJob' : 'setupDone';
  }
}
