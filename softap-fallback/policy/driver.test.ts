import { describe, expect, it } from 'vitest';
import { SimulatedAccessPoint } from '../ap/simulated-backend.js';
import type { AccessPointConfigInput } from '../ap/config.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { FallbackDriver } from './driver.js';
import { FallbackPolicy, type FallbackInitialState } from './fallback-policy.js';
import type { FallbackPolicyConfigInput } from './config.js';

const S = 1000;
const AP: AccessPointConfigInput = {
  interface: 'wlan0',
  ssid: 'Setup-pi-1',
  security: { mode: 'wpa2', passphrase: 'K7QM-2XHP-9RTW-C4NB' },
  countryCode: 'DE',
};

function rig(initial: FallbackInitialState, config: FallbackPolicyConfigInput = {}) {
  const timer = new ManualTimers();
  const clock = timer.clock;
  const ap = new SimulatedAccessPoint({ clock });
  let ble = false;
  const log: string[] = [];
  const errors: string[] = [];
  const policy = new FallbackPolicy(config, clock, initial);
  const driver = new FallbackDriver({
    policy,
    timers: timer,
    clock,
    actions: {
      startAp: async () => {
        await ap.start(AP);
      },
      stopAp: async () => {
        await ap.stop();
      },
      enableBle: () => {
        ble = true;
        return Promise.resolve();
      },
      disableBle: () => {
        ble = false;
        return Promise.resolve();
      },
    },
    onDecision: (d) => log.push(`${timer.now}:${d.type}:${d.reason}`),
    onError: (err, d) => errors.push(`${d.type}:${(err as { code?: string }).code}`),
  });
  /** Lets queued actions run after a timer fired. */
  const settle = async (): Promise<void> => {
    await driver.dispatch({ type: 'tick' });
  };
  return { timer, ap, driver, log, errors, isBleOn: () => ble, settle, policy };
}

describe('FallbackDriver', () => {
  it('runs the seed scenario: provisioned, Wi-Fi lost, AP exactly 300 s later, Wi-Fi back, station mode', async () => {
    const r = rig({ provisioned: true, wifiUp: true });
    await r.driver.start();
    await r.timer.advanceTo(50 * S);
    await r.driver.dispatch({ type: 'wifiDown' });
    expect([...r.timer.pending.values()].map((p) => p.at)).toEqual([350 * S]);
    await r.timer.advanceTo(349_999);
    await r.settle();
    expect(r.ap.isUp).toBe(false);
    await r.timer.advanceTo(350 * S);
    await r.settle();
    expect(r.ap.isUp).toBe(true);
    expect(r.isBleOn()).toBe(true);
    expect(r.ap.history[0]).toEqual({ at: 350 * S, action: 'start', ok: true, ssid: 'Setup-pi-1' });
    await r.timer.advanceTo(400 * S);
    await r.driver.dispatch({ type: 'wifiUp' });
    expect((await r.ap.status()).state).toBe('station');
    expect(r.isBleOn()).toBe(false);
    expect(r.log).toEqual([
      '350000:enableBle:setupNeeded',
      '350000:startAp:wifiLost',
      '400000:disableBle:setupDone',
      '400000:stopAp:setupDone',
    ]);
    r.driver.close();
    expect(r.timer.pending.size).toBe(0);
  });

  it('retries a failed AP start after the back-off (hostapd fails once, then the interface is busy)', async () => {
    const r = rig({ provisioned: false, wifiUp: false }, { apRetrySeconds: 30 });
    r.ap.failNext('hostapd-start');
    await r.driver.start();
    await r.driver.dispatch({ type: 'bleControllerPresent', present: false });
    expect(r.errors).toEqual(['startAp:SOFTAP_FAILED']);
    expect(r.ap.isUp).toBe(false);
    expect([...r.timer.pending.values()].map((p) => p.at)).toEqual([30 * S]);
    r.ap.failNext('interface-busy');
    await r.timer.advanceTo(30 * S);
    await r.settle();
    expect(r.errors).toEqual(['startAp:SOFTAP_FAILED', 'startAp:SOFTAP_FAILED']);
    await r.timer.advanceTo(60 * S);
    await r.settle();
    expect(r.ap.isUp).toBe(true);
    expect(r.ap.history.map((h) => `${h.at}:${h.action}:${h.ok}`)).toEqual([
      // A failed AP is cleaned up (stop) before every new start, as the Linux backend does.
      '0:start:false',
      '30000:stop:true',
      '30000:start:false',
      '60000:stop:true',
      '60000:start:true',
    ]);
  });

  it('rejects (does not throw) an event the policy refuses, and keeps working', async () => {
    const r = rig({ provisioned: false, wifiUp: false });
    await r.driver.start();
    await r.driver.dispatch({ type: 'jobStarted', transport: 'ble' });
    const second = r.driver.dispatch({ type: 'jobStarted', transport: 'softap' });
    await expect(second).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    await r.driver.dispatch({ type: 'jobEnded', transport: 'ble' });
    expect(r.policy.snapshot().job).toBeUndefined();
  });

  it('treats a BLE enable failure as "no controller" and falls back to the AP', async () => {
    const r = rig({ provisioned: false, wifiUp: false });
    const driver = new FallbackDriver({
      policy: r.policy,
      timers: r.timer,
      clock: r.timer.clock,
      actions: {
        startAp: async () => {
          await r.ap.start(AP);
        },
        stopAp: async () => {
          await r.ap.stop();
        },
        enableBle: () => Promise.reject(new Error('hci0: no such device')),
        disableBle: () => Promise.resolve(),
      },
    });
    await driver.start();
    expect(r.ap.isUp).toBe(true);
    expect(r.policy.snapshot()).toMatchObject({ controller: 'absent', apTrigger: 'noBleController' });
  });
});
