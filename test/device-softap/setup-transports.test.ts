/**
 * The device's setup wiring under a simulated clock: BLE (a switch the test drives) and the real
 * SoftAP switch over the simulated access point, per softap.mode and the fallback policy.
 */
import { describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import type { StatusMessage } from '../../protocol/messages.js';
import type { ProvisioningState } from '../../protocol/states.js';
import { SimulatedAccessPoint } from '../../softap-fallback/ap/simulated-backend.js';
import type { AccessPointConfigInput } from '../../softap-fallback/ap/config.js';
import { SoftApTransport } from '../../apps/device/transports/softap-transport.js';
import { startSetupTransports } from '../../apps/device/transports/setup-transports.js';
import type { SetupMode } from '../../apps/device/transports/setup-transports.js';
import type { BleSwitch } from '../../apps/device/transports/transports.js';
import type { FallbackPolicyConfigInput } from '../../softap-fallback/policy/config.js';
import { JobLock } from '../../softap-fallback/policy/job-lock.js';
import { ManualTimers } from '../support/manual-timers.js';

const S = 1000;
const MIN = 60 * S;
const ACCESS_POINT: AccessPointConfigInput = {
  interface: 'wlan0',
  ssid: 'Setup-pi-t1',
  security: { mode: 'wpa2', passphrase: 'K7QM-2XHP-9RTW-C4NB' },
  countryCode: 'DE',
};

class FakeBle implements BleSwitch {
  enabled = false;
  /** Set: enable() rejects with BLE_UNAVAILABLE (no controller). */
  absent = false;
  readonly history: string[] = [];
  #phone: ((c: boolean) => void)[] = [];
  #controller: ((p: boolean) => void)[] = [];
  constructor(private readonly timer: ManualTimers) {}
  enable(): Promise<void> {
    if (this.absent) {
      this.history.push(`${this.timer.now}:enable-failed`);
      return Promise.reject(new ProvisioningError('BLE_UNAVAILABLE', { detail: 'hci0 (EAFNOSUPPORT)' }));
    }
    this.enabled = true;
    this.history.push(`${this.timer.now}:enable`);
    return Promise.resolve();
  }
  disable(): Promise<void> {
    if (this.enabled) this.history.push(`${this.timer.now}:disable`);
    this.enabled = false;
    return Promise.resolve();
  }
  onPhone(l: (c: boolean) => void): void {
    this.#phone.push(l);
  }
  onController(l: (p: boolean) => void): void {
    this.#controller.push(l);
  }
  phone(connected: boolean): void {
    for (const l of this.#phone) l(connected);
  }
  controller(present: boolean): void {
    for (const l of this.#controller) l(present);
  }
}

class FakeAgent {
  state: ProvisioningState = 'idle';
  #listeners = new Set<(s: StatusMessage) => void>();
  onStatus(l: (s: StatusMessage) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  set(state: ProvisioningState): void {
    this.state = state;
    for (const l of this.#listeners) l({ type: 'status', state, step: 0 } as unknown as StatusMessage);
  }
}

interface RigOptions {
  mode: SetupMode;
  policy?: FallbackPolicyConfigInput;
  bleAbsent?: boolean;
  wifi?: boolean;
  provisioned?: boolean;
}

async function rig(o: RigOptions) {
  const timer = new ManualTimers();
  const clock = timer.clock;
  const ap = new SimulatedAccessPoint({ clock });
  const ble = new FakeBle(timer);
  ble.absent = o.bleAbsent ?? false;
  const agent = new FakeAgent();
  if (o.provisioned) agent.state = 'provisioned';
  const servers: string[] = [];
  let serverSeq = 0;
  const log: string[] = [];
  let wifiUp = o.wifi ?? false;
  const softap = new SoftApTransport({
    backend: ap,
    log: (l) => log.push(l),
    accessPoint: () => Promise.resolve(ACCESS_POINT),
    startServer: () => {
      const url = `http://10.0.0.1:${++serverSeq}`;
      servers.push(`${timer.now}:listen`);
      return Promise.resolve({
        url,
        close: () => {
          servers.push(`${timer.now}:close`);
          return Promise.resolve();
        },
      });
    },
  });
  const setup = await startSetupTransports({
    mode: o.mode,
    ...(o.policy ? { policy: o.policy } : {}),
    ble,
    softap,
    agent,
    wifiConnected: () => Promise.resolve(wifiUp),
    timers: timer,
    clock,
    log: (l) => log.push(l),
    wifiMonitorIntervalMs: 5 * S,
  });
  const lock = new JobLock({ onChange: (e) => setup.jobEvent(e) });
  await setup.settled();
  return {
    timer,
    ap,
    ble,
    agent,
    servers,
    log,
    setup,
    lock,
    setWifi: (up: boolean) => {
      wifiUp = up;
    },
  };
}

describe('device setup wiring: policy mode', () => {
  it('no BLE controller: the AP and its server come up at once, and the failure is logged, not fatal', async () => {
    const r = await rig({ mode: 'policy', bleAbsent: true });
    expect(r.ble.history).toEqual(['0:enable-failed']);
    expect(r.ap.isUp).toBe(true);
    expect(r.setup.softapUrl).toBe('http://10.0.0.1:1');
    expect(r.servers).toEqual(['0:listen']);
    expect(r.setup.snapshot()).toMatchObject({ controller: 'absent', apTrigger: 'noBleController' });
    expect(r.log).toContain(
      'fallback: enableBle failed (BLE_UNAVAILABLE: Bluetooth is unavailable: no Bluetooth adapter or controller could be used: hci0 (EAFNOSUPPORT))',
    );
    await r.setup.stop();
    expect(r.ap.isUp).toBe(false);
    expect(r.servers).toEqual(['0:listen', '0:close']);
    expect(r.timer.pending.size).toBe(0);
  });

  it('BLE first; the AP exactly 2 minutes after boot without a phone; a phone that comes and goes restarts the count', async () => {
    const r = await rig({ mode: 'policy' });
    expect(r.ble.enabled).toBe(true);
    expect(r.ap.isUp).toBe(false);
    await r.timer.advanceTo(60 * S);
    r.ble.phone(true);
    await r.timer.advanceTo(90 * S);
    r.ble.phone(false);
    await r.timer.advanceTo(90 * S + 2 * MIN - 1);
    expect(r.ap.isUp).toBe(false);
    await r.timer.advanceTo(90 * S + 2 * MIN);
    expect(r.ap.isUp).toBe(true);
    expect(r.ap.history[0]).toMatchObject({ at: 90 * S + 2 * MIN, action: 'start', ok: true });
    expect(r.ble.enabled).toBe(true);
    await r.setup.stop();
  });

  it('a BLE job takes the AP down and a SoftAP job turns BLE off; the second job is DEVICE_BUSY', async () => {
    const r = await rig({ mode: 'policy', policy: { triggers: { bleIdleMinutes: 0 } } });
    expect(r.ap.isUp && r.ble.enabled).toBe(true);
    const ble = r.lock.acquire('ble');
    await r.setup.settled();
    expect(r.ap.isUp).toBe(false);
    expect(() => r.lock.acquire('softap')).toThrow(expect.objectContaining({ code: 'DEVICE_BUSY' }));
    ble.release();
    await r.setup.settled();
    expect(r.ap.isUp).toBe(true);
    const softap = r.lock.acquire('softap');
    await r.setup.settled();
    expect(r.ble.enabled).toBe(false);
    expect(r.ap.isUp).toBe(true);
    expect(() => r.lock.acquire('ble')).toThrow(expect.objectContaining({ code: 'DEVICE_BUSY' }));
    r.agent.set('provisioned');
    softap.release();
    await r.setup.settled();
    expect(r.ap.isUp).toBe(false);
    expect(r.ble.enabled).toBe(false);
    expect(r.servers.at(-1)).toMatch(/:close$/);
    await r.setup.stop();
  });

  it('auto-reconfiguration: a provisioned device whose Wi-Fi drops opens setup 300 s after the monitor saw it', async () => {
    const r = await rig({ mode: 'policy', provisioned: true, wifi: true });
    expect(r.ble.enabled).toBe(false);
    expect(r.ap.isUp).toBe(false);
    r.setWifi(false);
    await r.timer.advanceTo(5 * S); // the monitor's next check sees the loss
    await r.timer.advanceTo(305 * S - 1);
    expect(r.ap.isUp).toBe(false);
    await r.timer.advanceTo(305 * S);
    expect(r.ap.isUp).toBe(true);
    expect(r.ble.enabled).toBe(true);
    r.setWifi(true);
    await r.timer.advanceTo(310 * S);
    expect(r.ap.isUp).toBe(false);
    expect(r.ble.enabled).toBe(false);
    await r.setup.stop();
  });

  it('a failed AP start is retried after apRetrySeconds; a controller that returns brings BLE back', async () => {
    const r = await rig({ mode: 'policy', policy: { apRetrySeconds: 20, triggers: { bleIdleMinutes: 1 } } });
    r.ap.failNext('hostapd-start');
    await r.timer.advanceTo(1 * MIN);
    expect(r.ap.isUp).toBe(false);
    expect(r.log.some((l) => l.startsWith('fallback: startAp failed (SOFTAP_FAILED'))).toBe(true);
    await r.timer.advanceTo(1 * MIN + 20 * S);
    expect(r.ap.isUp).toBe(true);
    r.ble.absent = true;
    r.ble.controller(false);
    await r.setup.settled();
    expect(r.ble.enabled).toBe(false);
    r.ble.absent = false;
    r.ble.controller(true);
    await r.setup.settled();
    expect(r.ble.enabled).toBe(true);
    await r.setup.stop();
  });
});

describe('device setup wiring: always and never', () => {
  it('always: AP + server from boot; no controller is logged and the SoftAP serves alone', async () => {
    const r = await rig({ mode: 'always', bleAbsent: true });
    expect(r.ap.isUp).toBe(true);
    expect(r.setup.softapUrl).toBe('http://10.0.0.1:1');
    expect(r.log).toContain(
      'ble: not available (BLE_UNAVAILABLE: Bluetooth is unavailable: no Bluetooth adapter or controller could be used: hci0 (EAFNOSUPPORT)); the SoftAP serves setup alone',
    );
    await r.setup.stop();
    expect(r.ap.isUp).toBe(false);
  });

  it('always: a failed AP start is retried every 30 s', async () => {
    const timer = new ManualTimers();
    const ap = new SimulatedAccessPoint({ clock: timer.clock });
    ap.failNext('interface-busy');
    const ble = new FakeBle(timer);
    const softap = new SoftApTransport({
      backend: ap,
      log: () => undefined,
      accessPoint: () => Promise.resolve(ACCESS_POINT),
      startServer: () => Promise.resolve({ url: 'http://10.0.0.1', close: () => Promise.resolve() }),
    });
    const setup = await startSetupTransports({
      mode: 'always',
      ble,
      softap,
      agent: new FakeAgent(),
      timers: timer,
      clock: timer.clock,
      log: () => undefined,
    });
    expect(ap.isUp).toBe(false);
    await timer.advanceTo(30 * S);
    expect(ap.isUp).toBe(true);
    await setup.stop();
  });

  it('never: BLE only, and no controller is fatal (BLE_UNAVAILABLE)', async () => {
    await expect(rig({ mode: 'never', bleAbsent: true })).rejects.toMatchObject({ code: 'BLE_UNAVAILABLE' });
    const r = await rig({ mode: 'never' });
    expect(r.ble.enabled).toBe(true);
    await r.timer.advanceTo(60 * MIN);
    expect(r.ap.isUp).toBe(false);
    await r.setup.stop();
    expect(r.ble.enabled).toBe(false);
  });
});
