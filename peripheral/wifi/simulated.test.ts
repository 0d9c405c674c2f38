import { describe, expect, it } from 'vitest';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { credentials } from './fixtures.js';
import { UNKNOWN_CHANNEL } from './scan.js';
import { SimulatedWifi } from './simulated.js';
import type { SimulatedNetwork } from './simulated.js';

const NETWORKS: SimulatedNetwork[] = [
  { ssid: 'Home', passphrase: 'correct horse battery', rssi: -40, channel: 6 },
  { ssid: 'Cafe', rssi: -70 },
  { ssid: 'NoDhcp', passphrase: 'password123', rssi: -60, failure: 'no-dhcp' },
  { ssid: 'Refuses', passphrase: 'password123', rssi: -65, failure: 'association-fails' },
  { ssid: 'Slow', passphrase: 'password123', rssi: -80, failure: 'timeout' },
  { ssid: 'Flaky', passphrase: 'password123', rssi: -55, failure: 'flaky-first-attempt' },
];

describe('SimulatedWifi', () => {
  it("scans strongest first, in the protocol's terms, with security derived from the passphrase", async () => {
    const wifi = new SimulatedWifi({ networks: NETWORKS, timers: new ManualTimers({ instant: true }) });
    const scan = await wifi.scan();
    const text = (ssid: Uint8Array): string => new TextDecoder().decode(ssid);
    expect(scan.map((s) => text(s.ssid))).toEqual(['Home', 'Flaky', 'NoDhcp', 'Refuses', 'Cafe', 'Slow']);
    expect(scan[0]).toEqual({ ssid: new TextEncoder().encode('Home'), rssi: -40, security: 'wpa2', channel: 6 });
    expect(scan.find((s) => text(s.ssid) === 'Cafe')).toMatchObject({ security: 'open', channel: UNKNOWN_CHANNEL });
  });

  it('every failure mode has its own code, and corrected credentials then work in the same session', async () => {
    const timers = new ManualTimers({ instant: true });
    const wifi = new SimulatedWifi({ networks: NETWORKS, timers, connectedTo: 'Cafe' });
    const secret = 'not-the-password';
    for (const [creds, code] of [
      [{ ssid: 'Home', passphrase: secret }, 'WIFI_AUTH_FAILED'],
      [{ ssid: 'Nowhere', passphrase: secret }, 'WIFI_NETWORK_NOT_FOUND'],
      [{ ssid: 'NoDhcp', passphrase: 'password123' }, 'WIFI_NO_ADDRESS'],
      [{ ssid: 'Refuses', passphrase: 'password123' }, 'WIFI_ASSOCIATION_FAILED'],
      [{ ssid: 'Slow', passphrase: 'password123' }, 'WIFI_TIMEOUT'],
      [{ ssid: 'Flaky', passphrase: 'password123' }, 'WIFI_ASSOCIATION_FAILED'],
    ] as const) {
      const err = await wifi
        .join(credentials(creds.ssid, creds.passphrase), { timeoutMs: 5_000 })
        .catch((e: unknown) => e);
      expect(err, creds.ssid).toMatchObject({ code });
      expect(String((err as Error).message)).not.toContain(secret);
      // Rolled back: still on the previous network, nothing new saved.
      expect(await wifi.current()).toMatchObject({ connected: true, ssid: 'Cafe' });
      expect(wifi.saved.size).toBe(0);
    }
    expect(await wifi.join(credentials('Flaky', 'password123'))).toEqual({ address: '192.168.4.20/24' });
    expect(await wifi.join(credentials('Home', 'correct horse battery'))).toEqual({ address: '192.168.4.21/24' });
    expect(await wifi.current()).toMatchObject({ connected: true, ssid: 'Home' });
    expect([...wifi.saved]).toEqual(['Flaky', 'Home']);
    await wifi.forget();
    expect(await wifi.current()).toEqual({ connected: false });
  });

  it('waits on the injected clock: a timeout consumes exactly the timeout, no real time', async () => {
    const timers = new ManualTimers({ start: 1000, instant: true });
    const wifi = new SimulatedWifi({ networks: NETWORKS, timers, joinDelayMs: 200 });
    await expect(wifi.join(credentials('Slow', 'password123'), { timeoutMs: 7_000 })).rejects.toMatchObject({
      code: 'WIFI_TIMEOUT',
    });
    expect(timers.now - 1000).toBe(7_000);
  });

  it('rejects malformed credentials before touching the network', async () => {
    const wifi = new SimulatedWifi({ networks: NETWORKS, timers: new ManualTimers({ instant: true }) });
    await expect(wifi.join(credentials(''))).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    await expect(wifi.join(credentials('x'.repeat(33)))).rejects.toMatchObject({ code: 'MESSAGE_INVALID' });
    await expect(wifi.join(credentials('Home', 'short'))).rejects.toMatchObject({
      code: 'WIFI_AUTH_FAILED',
    });
    expect(wifi.attempts.size).toBe(0);
  });

  it('takes UTF-8 SSIDs only, as the tools do: any other is WIFI_BACKEND_ERROR before touching the network', async () => {
    const wifi = new SimulatedWifi({ networks: NETWORKS, timers: new ManualTimers({ instant: true }) });
    await expect(wifi.join({ ssid: new Uint8Array([0x48, 0xff, 0xfe]) })).rejects.toMatchObject({
      code: 'WIFI_BACKEND_ERROR',
      detail: 'the simulated backend takes UTF-8 SSIDs only',
    });
    expect(wifi.attempts.size).toBe(0);
  });

  it('scan failure mode', async () => {
    await expect(
      new SimulatedWifi({ networks: NETWORKS, timers: new ManualTimers({ instant: true }), scanFails: true }).scan(),
    ).rejects.toMatchObject({ code: 'WIFI_SCAN_FAILED' });
  });
});
