import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  credentials,
  NMCLI_ACTIVE,
  NMCLI_DELETE_UNKNOWN,
  NMCLI_SCAN,
  NMCLI_UP_DHCP,
  NMCLI_UP_NO_SECRETS,
  NMCLI_UP_NOT_FOUND,
  NMCLI_UP_OK,
  NMCLI_UP_TIMEOUT,
} from './fixtures.js';
import { NmcliBackend } from './nmcli.js';
import { parseScan, splitTerse } from './nmcli-parse.js';
import { scriptedRunner } from './scripted-runner.js';
import { ManualTimers } from '../../test/support/manual-timers.js';

const SECRET = 'correct horse battery';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nm-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('nmcli terse parsing', () => {
  it('unescapes \\: and \\\\', () => {
    expect(splitTerse('AA\\:BB:My\\\\Net\\:x:')).toEqual(['AA:BB', 'My\\Net:x', '']);
  });

  it('parses a scan: strongest BSS per SSID, hidden dropped, security and dBm mapped', () => {
    expect(parseScan(NMCLI_SCAN)).toEqual([
      { ssid: 'Home', bssid: 'aa:bb:cc:00:00:01', rssi: -59, security: 'wpa2-psk', channel: 6, frequencyMhz: 2437 },
      { ssid: 'Office', bssid: 'aa:bb:cc:00:00:05', rssi: -72, security: 'enterprise', channel: 1, frequencyMhz: 2412 },
      { ssid: 'Caf:e Guest', bssid: 'aa:bb:cc:00:00:03', rssi: -80, security: 'open', channel: 11, frequencyMhz: 2462 },
      { ssid: 'Legacy', bssid: 'aa:bb:cc:00:00:07', rssi: -87, security: 'wpa2-psk', channel: 3, frequencyMhz: 2422 },
      {
        ssid: 'Neighbour',
        bssid: 'aa:bb:cc:00:00:06',
        rssi: -90,
        security: 'wpa3-sae',
        channel: 44,
        frequencyMhz: 5220,
      },
    ]);
  });
});

type UpOutcome = { stdout?: string; stderr?: string; exitCode: number };

function nmBackend(
  up: UpOutcome,
  address = '192.168.1.23/24',
  restore: UpOutcome = { stdout: NMCLI_UP_OK, exitCode: 0 },
) {
  const runner = scriptedRunner((args) => {
    const cmd = args.filter((a) => !a.startsWith('-') || a === '--active').join(' ');
    if (args.includes('wifi') && args.includes('list')) return { stdout: NMCLI_SCAN };
    if (cmd.startsWith('NAME,UUID,TYPE,DEVICE connection show')) return { stdout: NMCLI_ACTIVE };
    if (args[0] === 'connection' && args[1] === 'delete') return { stderr: NMCLI_DELETE_UNKNOWN, exitCode: 10 };
    if (args[0] === 'connection' && args[1] === 'load') return { stdout: '' };
    if (args.includes('up') && args.includes('id')) return up;
    if (args.includes('up') && args.includes('uuid')) return restore;
    if (args[0] === '-g' && args[1] === 'IP4.ADDRESS') return { stdout: address ? `${address}\n` : '\n' };
    return { stderr: `unexpected ${args.join(' ')}`, exitCode: 2 };
  });
  const timers = new ManualTimers({ instant: true });
  const logged: string[] = [];
  const backend = new NmcliBackend({
    ifname: 'wlan0',
    runner,
    clock: timers.clock,
    timers,
    connectionsDir: dir,
    log: (line) => logged.push(line),
  });
  return { backend, runner, logged };
}

describe('NmcliBackend.join', () => {
  it('writes a 0600 keyfile, loads it, activates, waits for an address; the passphrase never reaches argv', async () => {
    const { backend, runner } = nmBackend({ stdout: NMCLI_UP_OK, exitCode: 0 });
    const result = await backend.join(credentials('Home', SECRET), { timeoutMs: 10_000 });
    expect(result).toEqual({ address: '192.168.1.23/24' });
    const path = join(dir, 'provisioning.nmconnection');
    const keyfile = await readFile(path, 'utf8');
    expect(keyfile).toContain('ssid=Home');
    expect(keyfile).toContain(`psk=${SECRET}`);
    expect(keyfile).toContain('key-mgmt=wpa-psk');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    for (const call of runner.calls) expect(call.args.join(' ')).not.toContain(SECRET);
    expect(runner.calls.map((c) => c.args.join(' '))).toEqual(
      expect.arrayContaining([`connection load ${path}`, '-w 10 connection up id provisioning ifname wlan0']),
    );
  });

  it.each([
    ['wrong password', 'WIFI_AUTH_FAILED', { stderr: NMCLI_UP_NO_SECRETS, exitCode: 4 }],
    ['missing network', 'WIFI_NETWORK_NOT_FOUND', { stderr: NMCLI_UP_NOT_FOUND, exitCode: 4 }],
    ['no DHCP lease', 'WIFI_NO_ADDRESS', { stderr: NMCLI_UP_DHCP, exitCode: 4 }],
    ['nmcli wait expired', 'WIFI_TIMEOUT', { stderr: NMCLI_UP_TIMEOUT, exitCode: 3 }],
    [
      'other activation failure',
      'WIFI_ASSOCIATION_FAILED',
      { stderr: 'Error: Connection activation failed: (1) Unknown reason.\n', exitCode: 4 },
    ],
  ] as const)('%s → %s, profile deleted, previous connection restored', async (_name, code, up) => {
    const { backend, runner } = nmBackend(up);
    const err = await backend.join(credentials('Home', SECRET)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect(String((err as Error).message)).not.toContain(SECRET);
    const lines = runner.calls.map((c) => c.args.join(' '));
    expect(lines.at(-2)).toBe('connection delete id provisioning');
    expect(lines.at(-1)).toBe('connection up uuid 7a1c2b3d-0000-4000-8000-000000000001');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a previous network that does not come back is logged; the phone still hears the join error', async () => {
    const restore = { stderr: 'Error: Connection activation failed: (7) Secrets were required.\n', exitCode: 4 };
    const { backend, logged } = nmBackend({ stderr: NMCLI_UP_NOT_FOUND, exitCode: 4 }, undefined, restore);
    await expect(backend.join(credentials('Home', SECRET))).rejects.toMatchObject({
      code: 'WIFI_NETWORK_NOT_FOUND',
    });
    expect(logged).toEqual([
      'wifi: rollback: restoring the previous network failed: nmcli exit 4: Error: Connection activation failed: (7) Secrets were required.',
    ]);
  });

  it('activated but no address before the deadline → WIFI_NO_ADDRESS and rollback', async () => {
    const { backend } = nmBackend({ stdout: NMCLI_UP_OK, exitCode: 0 }, '');
    await expect(backend.join(credentials('Home', SECRET), { timeoutMs: 3_000 })).rejects.toMatchObject({
      code: 'WIFI_NO_ADDRESS',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a secret echoed by the tool is redacted from the error', async () => {
    const { backend } = nmBackend({ stderr: `Error: invalid passphrase '${SECRET}'\n`, exitCode: 4 });
    const err = (await backend.join(credentials('Home', SECRET)).catch((e: unknown) => e)) as Error & {
      code: string;
    };
    expect(err.code).toBe('WIFI_AUTH_FAILED');
    expect(err.message).toContain('[redacted]');
    expect(err.message).not.toContain(SECRET);
  });

  it('an open network gets no security section; corrected credentials work in the same session', async () => {
    let attempt = 0;
    const runner = scriptedRunner((args) => {
      if (args.includes('up') && args.includes('id'))
        return ++attempt === 1 ? { stderr: NMCLI_UP_NO_SECRETS, exitCode: 4 } : { stdout: NMCLI_UP_OK };
      if (args[0] === '-g') return { stdout: '10.0.0.5/24\n' };
      if (args.includes('--active')) return { stdout: '' };
      return { stdout: '' };
    });
    const timers = new ManualTimers({ instant: true });
    const backend = new NmcliBackend({ ifname: 'wlan0', runner, clock: timers.clock, timers, connectionsDir: dir });
    await expect(backend.join(credentials('Cafe', 'wrongpass1'))).rejects.toMatchObject({
      code: 'WIFI_AUTH_FAILED',
    });
    expect(await backend.join(credentials('Cafe'))).toEqual({ address: '10.0.0.5/24' });
    expect(await readFile(join(dir, 'provisioning.nmconnection'), 'utf8')).not.toContain('wifi-security');
  });

  it('scan failures and a missing nmcli have their own codes', async () => {
    const failing = new NmcliBackend({
      ifname: 'wlan0',
      runner: scriptedRunner(() => ({ stderr: 'Error: Device wlan0 not found.', exitCode: 10 })),
      connectionsDir: dir,
    });
    await expect(failing.scan()).rejects.toMatchObject({ code: 'WIFI_SCAN_FAILED' });
    const missing = new NmcliBackend({
      ifname: 'wlan0',
      runner: () => Promise.reject(Object.assign(new Error('spawn nmcli ENOENT'), { code: 'ENOENT' })),
      connectionsDir: dir,
    });
    await expect(missing.scan()).rejects.toMatchObject({
      code: 'WIFI_BACKEND_ERROR',
      detail: 'cannot run nmcli: ENOENT',
    });
  });
});
