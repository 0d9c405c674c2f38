import { describe, expect, it } from 'vitest';
import { textMatching } from '../../test/matchers.js';
import type { AccessPointConfigInput } from './config.js';
import { SimulatedAccessPoint } from './simulated-backend.js';

const input: AccessPointConfigInput = {
  interface: 'wlan0',
  ssid: 'Setup-sim',
  security: { mode: 'wpa2', passphrase: '12345678' },
  countryCode: 'DE',
};

describe('SimulatedAccessPoint', () => {
  it('starts, renders the real configs, and returns to station mode on the injected clock', async () => {
    let now = 10;
    const ap = new SimulatedAccessPoint({ clock: () => now });
    expect(await ap.status()).toEqual({ state: 'station', since: 10 });
    now = 20;
    expect(await ap.start(input)).toEqual({
      state: 'running',
      ssid: 'Setup-sim',
      interface: 'wlan0',
      address: '10.0.0.1',
      since: 20,
    });
    expect(ap.files?.hostapdConf).toContain('ssid=Setup-sim\n');
    expect(ap.files?.dnsmasqConf).toContain('address=/#/10.0.0.1\n');
    now = 30;
    expect(await ap.stop()).toEqual({ state: 'station', since: 30 });
    expect(ap.files).toBeUndefined();
    expect(ap.history).toEqual([
      { at: 20, action: 'start', ok: true, ssid: 'Setup-sim' },
      { at: 30, action: 'stop', ok: true },
    ]);
  });

  it('fails like the Linux backend: hostapd, busy interface, dnsmasq, stop', async () => {
    const ap = new SimulatedAccessPoint({ clock: () => 0 });
    ap.failNext('hostapd-start');
    await expect(ap.start(input)).rejects.toMatchObject({
      code: 'SOFTAP_FAILED',
      detail: 'starting hostapd: hostapd exited with status 1',
    });
    expect((await ap.status()).state).toBe('failed');
    ap.failNext('interface-busy');
    await expect(ap.start(input)).rejects.toMatchObject({
      code: 'SOFTAP_FAILED',
      detail: textMatching(/^interface wlan0 is busy/),
    });
    ap.failNext('dnsmasq-start');
    await expect(ap.start(input)).rejects.toMatchObject({ code: 'SOFTAP_FAILED' });
    expect((await ap.start(input)).state).toBe('running');
    ap.failNext('stop');
    await expect(ap.stop()).rejects.toMatchObject({ code: 'SOFTAP_FAILED' });
    expect((await ap.stop()).state).toBe('station');
  });

  it('keeps failing while a persistent failure is set, and reports a crash', async () => {
    const ap = new SimulatedAccessPoint({ clock: () => 0 });
    ap.failNext('hostapd-start', true);
    await expect(ap.start(input)).rejects.toMatchObject({ code: 'SOFTAP_FAILED' });
    await expect(ap.start(input)).rejects.toMatchObject({ code: 'SOFTAP_FAILED' });
    ap.clearFailures();
    await ap.start(input);
    ap.crash();
    expect(await ap.status()).toMatchObject({
      state: 'failed',
      error: { code: 'SOFTAP_FAILED', detail: 'hostapd is not running' },
    });
    expect(ap.isUp).toBe(false);
  });

  it('validates like the real backend', async () => {
    const ap = new SimulatedAccessPoint({ clock: () => 0 });
    await expect(ap.start({ ...input, countryCode: 'xx' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      detail: 'countryCode: must be two upper-case letters (ISO 3166-1 alpha-2)',
    });
    expect(ap.history).toEqual([]);
  });
});
