/**
 * Runs BLE and the SoftAP as the device's `softap.mode` says:
 * - `policy`: the FallbackPolicy decides (through the FallbackDriver): BLE first, the AP when no
 *   controller answers, after N minutes without a BLE phone, or after N seconds without Wi-Fi once
 *   provisioned; never two jobs at once (the JobLock events reach the policy through `jobEvent`);
 * - `always`: the AP and its server from boot (development, demo), BLE beside it when a controller
 *   answers (its absence is logged, not fatal); a failed AP start is retried;
 * - `never`: BLE only; no controller is fatal (BLE_UNAVAILABLE), as before the fallback existed.
 */
import type { Clock, StatusMessage, ProvisioningState, Timers } from '../../../protocol/index.js';
import { FallbackDriver, FallbackPolicy } from '../../../softap-fallback/policy/index.js';
import type {
  FallbackSnapshot,
  FallbackPolicyConfigInput,
  JobLockEvent,
} from '../../../softap-fallback/policy/index.js';
import { ALWAYS_MODE_AP_RETRY_MS } from './limits.js';
import type { BleSwitch, SoftApSwitch } from './transports.js';
import { WifiMonitor } from './wifi-monitor.js';

export type SetupMode = 'policy' | 'always' | 'never';

export interface SetupTransportsOptions {
  mode: SetupMode;
  policy?: FallbackPolicyConfigInput;
  ble: BleSwitch;
  softap: SoftApSwitch;
  agent: { readonly state: ProvisioningState; onStatus(listener: (s: StatusMessage) => void): () => void };
  /** Whether the station Wi-Fi is connected (auto-reconfiguration); absent = assume down. */
  wifiConnected?: () => Promise<boolean>;
  timers: Timers;
  clock: Clock;
  log: (line: string) => void;
  wifiMonitorIntervalMs?: number;
}

export interface RunningSetup {
  readonly mode: SetupMode;
  /** The SoftAP page's URL while the AP runs. */
  readonly softapUrl: string | undefined;
  /** The policy's view (policy mode only). */
  snapshot(): FallbackSnapshot | undefined;
  /** Feed JobLock changes here (`new JobLock({ onChange: (e) => setup.jobEvent(e) })`). */
  jobEvent(event: JobLockEvent): void;
  /** Resolves when every decision taken so far has been carried out (tests). */
  settled(): Promise<void>;
  /** Stops the policy, the AP + server and BLE. */
  stop(): Promise<void>;
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${String(e.message ?? err)}`;
}

export async function startSetupTransports(o: SetupTransportsOptions): Promise<RunningSetup> {
  if (o.mode === 'never') return startNever(o);
  if (o.mode === 'always') return startAlways(o);
  return startPolicy(o);
}

async function startNever(o: SetupTransportsOptions): Promise<RunningSetup> {
  await o.ble.enable();
  return {
    mode: 'never',
    softapUrl: undefined,
    snapshot: () => undefined,
    jobEvent: () => undefined,
    settled: () => Promise.resolve(),
    stop: () => o.ble.disable(),
  };
}

async function startAlways(o: SetupTransportsOptions): Promise<RunningSetup> {
  let stopped = false;
  let retry: unknown;
  let pending: Promise<unknown> = Promise.resolve();
  const startAp = async (): Promise<void> => {
    try {
      await o.softap.start();
    } catch (err) {
      o.log(`softap: start failed (${describe(err)}); retrying in ${ALWAYS_MODE_AP_RETRY_MS / 1000} s`);
      if (!stopped)
        retry = o.timers.setTimeout(() => {
          retry = undefined;
          pending = startAp();
        }, ALWAYS_MODE_AP_RETRY_MS);
    }
  };
  await startAp();
  const enableBle = async (): Promise<void> => {
    if (stopped || o.agent.state === 'provisioned') return;
    try {
      await o.ble.enable();
    } catch (err) {
      o.log(`ble: not available (${describe(err)}); the SoftAP serves setup alone`);
    }
  };
  await enableBle();
  // A controller that comes (back) later joins the SoftAP.
  o.ble.onController((present) => {
    if (present) pending = pending.then(enableBle);
  });
  return {
    mode: 'always',
    get softapUrl() {
      return o.softap.url;
    },
    snapshot: () => undefined,
    jobEvent: () => undefined,
    settled: async () => {
      await pending;
    },
    async stop() {
      stopped = true;
      if (retry !== undefined) o.timers.clearTimeout(retry);
      await pending;
      await o.softap.stop().catch((err: unknown) => o.log(`softap: stop failed (${describe(err)})`));
      await o.ble.disable().catch((err: unknown) => o.log(`ble: stop failed (${describe(err)})`));
    },
  };
}

async function startPolicy(o: SetupTransportsOptions): Promise<RunningSetup> {
  const monitor = o.wifiConnected
    ? new WifiMonitor({
        connected: o.wifiConnected,
        timers: o.timers,
        onChange: (up) => {
          void dispatch({ type: up ? 'wifiUp' : 'wifiDown' });
        },
        ...(o.wifiMonitorIntervalMs !== undefined ? { intervalMs: o.wifiMonitorIntervalMs } : {}),
      })
    : undefined;
  const wifiUp = monitor ? await monitor.start() : false;
  const policy = new FallbackPolicy(o.policy ?? {}, o.clock, { provisioned: o.agent.state === 'provisioned', wifiUp });
  const driver = new FallbackDriver({
    policy,
    timers: o.timers,
    clock: o.clock,
    actions: {
      startAp: async () => {
        await o.softap.start();
      },
      stopAp: () => o.softap.stop(),
      enableBle: () => o.ble.enable(),
      disableBle: () => o.ble.disable(),
    },
    onDecision: (d) => o.log(`fallback: ${d.type} (${d.reason})`),
    onError: (err, d) => o.log(`fallback: ${d.type} failed (${describe(err)})`),
  });
  const dispatch = (event: Parameters<FallbackDriver['dispatch']>[0]): Promise<void> =>
    driver.dispatch(event).catch((err: unknown) => o.log(`fallback: ${event.type} refused (${describe(err)})`));
  o.ble.onPhone((connected) => {
    void dispatch({ type: connected ? 'blePhoneConnected' : 'bleIdle' });
  });
  o.ble.onController((present) => {
    void dispatch({ type: 'bleControllerPresent', present });
  });
  let lastState = o.agent.state;
  const unsubscribe = o.agent.onStatus((s) => {
    if (s.state === 'provisioned' && lastState !== 'provisioned') {
      // Provisioning proved the Wi-Fi (the device published over it).
      void dispatch({ type: 'wifiUp' });
      void dispatch({ type: 'provisioned' });
    }
    lastState = s.state;
  });
  await driver.start();
  return {
    mode: 'policy',
    get softapUrl() {
      return o.softap.url;
    },
    snapshot: () => policy.snapshot(),
    jobEvent: (event) => {
      void dispatch(event);
    },
    settled: () => driver.dispatch({ type: 'tick' }),
    async stop() {
      unsubscribe();
      monitor?.close();
      driver.close();
      // Lets the decisions in flight finish first (their own failures went to onError).
      await driver
        .dispatch({ type: 'tick' })
        .catch((err: unknown) => o.log(`fallback: settling before stop failed (${describe(err)})`));
      await o.softap.stop().catch((err: unknown) => o.log(`softap: stop failed (${describe(err)})`));
      await o.ble.disable().catch((err: unknown) => o.log(`ble: stop failed (${describe(err)})`));
    },
  };
}
