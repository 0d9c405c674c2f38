import { describe, expect, it } from 'vitest';
import { FallbackPolicy, type FallbackInitialState } from './fallback-policy.js';
import type { FallbackPolicyConfigInput } from './config.js';
import type { FallbackEvent } from './types.js';

const S = 1000;
const MIN = 60 * S;

/** A policy under a simulated clock; `at(t, event)` returns its decisions as "type:reason". */
function harness(initial: FallbackInitialState, config: FallbackPolicyConfigInput = {}) {
  let now = 0;
  const policy = new FallbackPolicy(config, () => now, initial);
  const at = (t: number, event: FallbackEvent = { type: 'tick' }): string[] => {
    now = t;
    return policy.handle(event).map((d) => `${d.type}:${d.reason}`);
  };
  return { policy, at };
}

describe('FallbackPolicy: a new device waiting for setup', () => {
  it('advertises BLE at boot and starts the AP after exactly 2 minutes without a BLE phone', () => {
    const { policy, at } = harness({ provisioned: false, wifiUp: false });
    expect(at(0)).toEqual(['enableBle:setupNeeded']);
    expect(at(0, { type: 'bleControllerPresent', present: true })).toEqual([]);
    expect(policy.nextDeadline()).toBe(2 * MIN);
    expect(at(2 * MIN - 1)).toEqual([]);
    expect(at(2 * MIN)).toEqual(['startAp:bleIdle']);
    expect(policy.nextDeadline()).toBeUndefined();
    expect(policy.snapshot()).toMatchObject({ apUp: true, bleEnabled: true, apTrigger: 'bleIdle' });
  });

  it('restarts the idle count when a phone connects and leaves without a job', () => {
    const { policy, at } = harness({ provisioned: false, wifiUp: false });
    at(0);
    at(90 * S, { type: 'blePhoneConnected' });
    expect(policy.nextDeadline()).toBeUndefined();
    expect(at(10 * MIN)).toEqual([]);
    at(10 * MIN, { type: 'bleIdle' });
    expect(policy.nextDeadline()).toBe(12 * MIN);
    expect(at(12 * MIN)).toEqual(['startAp:bleIdle']);
  });

  it('starts the AP at once when there is no BLE controller, and keeps BLE off', () => {
    const { at } = harness({ provisioned: false, wifiUp: false });
    expect(at(0)).toEqual(['enableBle:setupNeeded']);
    expect(at(5, { type: 'bleControllerPresent', present: false })).toEqual([
      'disableBle:bleControllerAbsent',
      'startAp:noBleController',
    ]);
    expect(at(10 * MIN)).toEqual([]);
  });

  it('with bleIdleMinutes 0 offers the AP beside BLE from boot', () => {
    const { at } = harness({ provisioned: false, wifiUp: false }, { triggers: { bleIdleMinutes: 0 } });
    expect(at(0)).toEqual(['enableBle:setupNeeded', 'startAp:bleIdle']);
  });

  it('never starts the AP when every trigger is off', () => {
    const { policy, at } = harness(
      { provisioned: false, wifiUp: false },
      { triggers: { noBleController: false, bleIdleMinutes: null, wifiLossSeconds: null } },
    );
    at(0);
    expect(at(1, { type: 'bleControllerPresent', present: false })).toEqual(['disableBle:bleControllerAbsent']);
    expect(at(10 * 24 * 60 * MIN)).toEqual([]);
    expect(policy.nextDeadline()).toBeUndefined();
  });
});

describe('FallbackPolicy: one job at a time', () => {
  it('stops the AP for a BLE job, and brings it back if the job fails', () => {
    const { at } = harness({ provisioned: false, wifiUp: false });
    at(0);
    at(2 * MIN);
    at(3 * MIN, { type: 'blePhoneConnected' });
    expect(at(3 * MIN, { type: 'jobStarted', transport: 'ble' })).toEqual(['stopAp:bleJob']);
    expect(at(4 * MIN, { type: 'jobEnded', transport: 'ble' })).toEqual(['startAp:bleIdle']);
  });

  it('turns BLE off for a SoftAP job and keeps the AP until the job ends, even after provisioned', () => {
    const { policy, at } = harness({ provisioned: false, wifiUp: false });
    at(0);
    at(2 * MIN);
    expect(at(3 * MIN, { type: 'jobStarted', transport: 'softap' })).toEqual(['disableBle:softapJob']);
    expect(at(3 * MIN, { type: 'wifiUp' })).toEqual([]);
    expect(at(4 * MIN, { type: 'provisioned' })).toEqual([]);
    expect(policy.snapshot()).toMatchObject({ apUp: true, bleEnabled: false, setupNeeded: false });
    expect(at(4 * MIN, { type: 'jobEnded', transport: 'softap' })).toEqual(['stopAp:setupDone']);
  });

  it('after a failed SoftAP job re-enables BLE and keeps the AP (the phone on the page can retry)', () => {
    const { at } = harness({ provisioned: false, wifiUp: false });
    at(0);
    at(2 * MIN);
    at(3 * MIN, { type: 'jobStarted', transport: 'softap' });
    expect(at(4 * MIN, { type: 'jobEnded', transport: 'softap' })).toEqual(['enableBle:setupNeeded']);
  });

  it('keeps BLE for a BLE job that outlives provisioned, then turns everything off', () => {
    const { at } = harness({ provisioned: false, wifiUp: false });
    at(0);
    at(10, { type: 'jobStarted', transport: 'ble' });
    at(20, { type: 'wifiUp' });
    expect(at(30, { type: 'provisioned' })).toEqual([]);
    expect(at(40, { type: 'jobEnded', transport: 'ble' })).toEqual(['disableBle:setupDone']);
  });

  it('refuses a second job with DEVICE_BUSY and ignores a stale jobEnded', () => {
    const { policy, at } = harness({ provisioned: false, wifiUp: false });
    at(0);
    at(1, { type: 'jobStarted', transport: 'ble' });
    expect(() => at(2, { type: 'jobStarted', transport: 'softap' })).toThrow(
      expect.objectContaining({ code: 'DEVICE_BUSY' }),
    );
    expect(at(3, { type: 'jobEnded', transport: 'softap' })).toEqual([]);
    expect(policy.snapshot().job).toBe('ble');
  });
});

describe('FallbackPolicy: auto-reconfiguration of a provisioned device', () => {
  it('does nothing while Wi-Fi is up', () => {
    const { policy, at } = harness({ provisioned: true, wifiUp: true });
    expect(at(0)).toEqual([]);
    expect(policy.nextDeadline()).toBeUndefined();
  });

  it('opens setup (BLE and AP) exactly 300 s after Wi-Fi went down, and closes it when Wi-Fi returns', () => {
    const { policy, at } = harness({ provisioned: true, wifiUp: true });
    at(0);
    expect(at(10 * S, { type: 'wifiDown' })).toEqual([]);
    expect(at(20 * S, { type: 'wifiDown' })).toEqual([]);
    expect(policy.nextDeadline()).toBe(310 * S);
    expect(at(310 * S - 1)).toEqual([]);
    expect(at(310 * S)).toEqual(['enableBle:setupNeeded', 'startAp:wifiLost']);
    expect(policy.snapshot().reconfiguring).toBe(true);
    expect(at(400 * S, { type: 'wifiUp' })).toEqual(['disableBle:setupDone', 'stopAp:setupDone']);
    expect(policy.snapshot()).toMatchObject({ reconfiguring: false, apUp: false, bleEnabled: false });
  });

  it('does not fire on a loss shorter than the threshold', () => {
    const { policy, at } = harness({ provisioned: true, wifiUp: true }, { triggers: { wifiLossSeconds: 60 } });
    at(0, { type: 'wifiDown' });
    at(59 * S, { type: 'wifiUp' });
    expect(policy.nextDeadline()).toBeUndefined();
    expect(at(120 * S)).toEqual([]);
  });

  it('counts from boot for a provisioned device that boots without Wi-Fi, and from provisioned for a new one', () => {
    const booted = harness({ provisioned: true, wifiUp: false });
    expect(booted.at(0)).toEqual([]);
    expect(booted.at(300 * S)).toEqual(['enableBle:setupNeeded', 'startAp:wifiLost']);

    const fresh = harness({ provisioned: false, wifiUp: false }, { triggers: { bleIdleMinutes: null } });
    fresh.at(0);
    fresh.at(1 * MIN, { type: 'jobStarted', transport: 'ble' });
    fresh.at(2 * MIN, { type: 'provisioned' });
    fresh.at(2 * MIN, { type: 'jobEnded', transport: 'ble' });
    expect(fresh.policy.nextDeadline()).toBe(2 * MIN + 300 * S);
  });

  it('ends reconfiguration when a job provisions the device again', () => {
    const { at } = harness({ provisioned: true, wifiUp: false });
    at(300 * S);
    at(310 * S, { type: 'jobStarted', transport: 'softap' });
    at(320 * S, { type: 'wifiUp' });
    at(320 * S, { type: 'provisioned' });
    expect(at(321 * S, { type: 'jobEnded', transport: 'softap' })).toEqual(['stopAp:setupDone']);
  });
});

describe('FallbackPolicy: AP failures and clocks', () => {
  it('retries the AP after the back-off when starting it failed', () => {
    const { policy, at } = harness({ provisioned: false, wifiUp: false }, { apRetrySeconds: 30 });
    at(0);
    at(1, { type: 'bleControllerPresent', present: false });
    expect(at(5 * S, { type: 'apFailed' })).toEqual([]);
    expect(policy.nextDeadline()).toBe(35 * S);
    expect(at(35 * S - 1)).toEqual([]);
    expect(at(35 * S)).toEqual(['startAp:noBleController']);
  });

  it('ignores a clock that steps backwards', () => {
    const { at } = harness({ provisioned: true, wifiUp: true });
    at(1000 * S, { type: 'wifiDown' });
    expect(at(0)).toEqual([]);
    expect(at(1300 * S)).toEqual(['enableBle:setupNeeded', 'startAp:wifiLost']);
  });
});
