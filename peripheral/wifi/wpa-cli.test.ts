import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { credentials, WPA_LIST_NETWORKS, WPA_SCAN_RESULTS, wpaStatus } from './fixtures.js';
import { scriptedRunner } from './scripted-runner.js';
import { ManualTimers } from '../../test/support/manual-timers.js';
import { derivePsk, WpaCliBackend } from './wpa-cli.js';
import { channelOf, decodeWpaSsid, parseScanResults } from './wpa-parse.js';

const SECRET = 'correct horse battery';

describe('wpa_cli parsing', () => {
  it('parses scan_results: printf-escaped SSIDs, strongest BSS per SSID, flags → security, channels', () => {
    expect(parseScanResults(WPA_SCAN_RESULTS)).toEqual([
      { ssid: 'Home', bssid: 'aa:bb:cc:00:00:01', rssi: -45, security: 'wpa2-psk', frequencyMhz: 2437, channel: 6 },
      {
        ssid: 'Café "Guest"',
        bssid: 'aa:bb:cc:00:00:03',
        rssi: -70,
        security: 'open',
        frequencyMhz: 2462,
        channel: 11,
      },
      { ssid: 'Six', bssid: 'aa:bb:cc:00:00:05', rssi: -75, security: 'wpa3-sae', frequencyMhz: 5955, channel: 1 },
      { ssid: 'Office', bssid: 'aa:bb:cc:00:00:04', rssi: -80, security: 'enterprise', frequencyMhz: 2412, channel: 1 },
    ]);
    expect(decodeWpaSsid('a\\\\b\\x41')).toBe('a\\bA');
    expect([2412, 2484, 5180, 5955].map(channelOf)).toEqual([1, 14, 36, 1]);
  });

  it('derives the WPA PSK as IEEE 802.11i does (PBKDF2-SHA1, 4096 rounds, SSID salt)', () => {
    // IEEE 802.11i-2004 Annex H.4 test vector.
    expect(derivePsk('IEEE', 'password')).toBe('f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
    expect(derivePsk('x', 'A'.repeat(64))).toBe('a'.repeat(64));
    expect(derivePsk('Home', SECRET)).toBe(pbkdf2Sync(SECRET, 'Home', 4096, 32, 'sha1').toString('hex'));
  });
});

/** A scripted wpa_supplicant: `states` is the sequence `status` reports while joining. */
function wpa(states: string[], opts: { tempDisabled?: boolean; scan?: string } = {}) {
  let polls = 0;
  const runner = scriptedRunner((args, stdin) => {
    const cmd = args.slice(2);
    if (cmd.length === 0) return { stdout: stdin?.includes(' psk ') ? '> OK\n> ' : '> FAIL\n> ' };
    switch (cmd[0]) {
      case 'scan':
        return { stdout: 'OK\n' };
      case 'scan_results':
        return { stdout: opts.scan ?? WPA_SCAN_RESULTS };
      case 'list_networks':
        return {
          stdout:
            WPA_LIST_NETWORKS + (polls > 1 ? `1\tHome\tany\t${opts.tempDisabled ? '[TEMP-DISABLED]' : ''}\n` : ''),
        };
      case 'add_network':
        return { stdout: '1\n' };
      case 'status': {
        const s = states[Math.min(polls++, states.length - 1)] as string;
        return { stdout: s };
      }
      default:
        return { stdout: 'OK\n' };
    }
  });
  const timers = new ManualTimers({ instant: true });
  return { runner, backend: new WpaCliBackend({ ifname: 'wlan0', runner, clock: timers.clock, timers }) };
}

const commands = (runner: ReturnType<typeof wpa>['runner']): string[] =>
  runner.calls.map((c) => c.args.slice(2).join(' '));

describe('WpaCliBackend.join', () => {
  it('adds, sets the PSK over stdin, selects, waits for COMPLETED + address, then saves', async () => {
    const { backend, runner } = wpa([
      wpaStatus('ASSOCIATING'),
      wpaStatus('4WAY_HANDSHAKE'),
      wpaStatus('COMPLETED'),
      wpaStatus('COMPLETED', { ip_address: '192.168.1.40' }),
    ]);
    expect(await backend.join(credentials('Home', SECRET))).toEqual({ address: '192.168.1.40' });
    const cmds = commands(runner);
    expect(cmds).toEqual(
      expect.arrayContaining([
        'add_network',
        `set_network 1 ssid ${Buffer.from('Home').toString('hex')}`,
        'set_network 1 key_mgmt WPA-PSK',
        'select_network 1',
        'save_config',
      ]),
    );
    expect(cmds.indexOf('save_config')).toBe(cmds.length - 1);
    const stdinCall = runner.calls.find((c) => c.stdin !== undefined);
    expect(stdinCall?.stdin).toBe(`set_network 1 psk ${derivePsk('Home', SECRET)}\nquit\n`);
    for (const c of runner.calls) {
      expect(c.args.join(' ')).not.toContain(SECRET);
      expect(c.args.join(' ')).not.toContain(derivePsk('Home', SECRET));
    }
  });

  it('a network not in the scan → WIFI_NETWORK_NOT_FOUND, nothing added', async () => {
    const { backend, runner } = wpa([wpaStatus('SCANNING')]);
    await expect(backend.join(credentials('Nowhere', SECRET))).rejects.toMatchObject({
      code: 'WIFI_NETWORK_NOT_FOUND',
    });
    expect(commands(runner)).not.toContain('add_network');
  });

  it('wrong key: TEMP-DISABLED after the handshake → WIFI_AUTH_FAILED; removed, previous reselected, never saved', async () => {
    const { backend, runner } = wpa(
      [wpaStatus('ASSOCIATING'), wpaStatus('4WAY_HANDSHAKE'), wpaStatus('DISCONNECTED')],
      { tempDisabled: true },
    );
    const err = await backend.join(credentials('Home', SECRET)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WIFI_AUTH_FAILED' });
    expect(String((err as Error).message)).not.toContain(SECRET);
    const cmds = commands(runner);
    expect(cmds.slice(-3)).toEqual(['remove_network 1', 'select_network 0', 'enable_network all']);
    expect(cmds).not.toContain('save_config');
  });

  it.each([
    ['associating forever', 'WIFI_ASSOCIATION_FAILED', [wpaStatus('ASSOCIATING')]],
    ['completed without an address', 'WIFI_NO_ADDRESS', [wpaStatus('COMPLETED')]],
    ['stuck scanning', 'WIFI_TIMEOUT', [wpaStatus('SCANNING')]],
  ] as const)('%s → %s at the deadline, rolled back', async (_name, code, states) => {
    const { backend, runner } = wpa([...states]);
    await expect(backend.join(credentials('Home', SECRET), { timeoutMs: 5_000 })).rejects.toMatchObject({
      code,
    });
    expect(commands(runner)).toContain('remove_network 1');
    expect(commands(runner)).not.toContain('save_config');
  });

  it('open networks use key_mgmt NONE and no stdin at all', async () => {
    const { backend, runner } = wpa([wpaStatus('COMPLETED', { ip_address: '10.1.1.2', ssid: 'Café "Guest"' })]);
    await backend.join(credentials('Café "Guest"'));
    expect(commands(runner)).toContain('set_network 1 key_mgmt NONE');
    expect(runner.calls.some((c) => c.stdin !== undefined)).toBe(false);
  });
});
