import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProvisioningError } from '../../protocol/errors.js';
import type { CommandResult, CommandRunner } from '../../peripheral/system/index.js';
import type { AccessPointConfigInput } from './config.js';
import { LinuxAccessPoint, type LinuxAccessPointOptions } from './linux-backend.js';

const PASS = 'K7QM-2XHP-9RTW-C4NB';
const input: AccessPointConfigInput = {
  interface: 'wlan0',
  ssid: 'Setup-pi-00af3c',
  security: { mode: 'wpa2', passphrase: PASS },
  countryCode: 'DE',
};

interface Recorder {
  run: CommandRunner;
  calls: string[];
  /** Answers by command line prefix; the first match wins. Default: exit 0. */
  answers: Array<[string, Partial<CommandResult> | Error]>;
}

/** Records every command line; pretends hostapd/dnsmasq daemonized by writing their pid files. */
function recorder(dir: string, pids: Map<number, string>): Recorder {
  const rec: Recorder = {
    calls: [],
    answers: [],
    run: async (file, args) => {
      const line = [file, ...args].join(' ');
      rec.calls.push(line);
      const answer = rec.answers.find(([prefix]) => line.startsWith(prefix))?.[1];
      if (answer instanceof Error) throw answer;
      const result = { exitCode: 0, stdout: '', stderr: '', ...answer };
      if (result.exitCode === 0 && file === 'hostapd') {
        await writeFile(join(dir, 'hostapd.pid'), '4242\n');
        pids.set(4242, 'hostapd');
      }
      if (result.exitCode === 0 && file === 'dnsmasq') {
        await writeFile(join(dir, 'dnsmasq.pid'), '4343\n');
        pids.set(4343, 'dnsmasq');
      }
      if (result.exitCode === 0 && file === 'kill') pids.delete(Number(args[1]));
      return result;
    },
  };
  return rec;
}

describe('LinuxAccessPoint', () => {
  let dir: string;
  let pids: Map<number, string>;
  let rec: Recorder;
  let now: number;
  const make = (options: Partial<LinuxAccessPointOptions> = {}): LinuxAccessPoint =>
    new LinuxAccessPoint({
      run: rec.run,
      stateDir: dir,
      stationManager: 'none',
      clock: () => now,
      processName: (pid) => Promise.resolve(pids.get(pid)),
      onWarning: () => undefined,
      ...options,
    });

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'softap-')), 'state');
    pids = new Map();
    rec = recorder(dir, pids);
    now = 1000;
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('writes the configs atomically with private modes and runs the exact commands', async () => {
    const ap = make();
    const status = await ap.start(input);
    expect(status).toEqual({
      state: 'running',
      ssid: 'Setup-pi-00af3c',
      interface: 'wlan0',
      address: '10.0.0.1',
      since: 1000,
    });
    expect(rec.calls).toEqual([
      'ip addr flush dev wlan0',
      'ip addr add 10.0.0.1/24 dev wlan0',
      'ip link set dev wlan0 up',
      `hostapd -B -P ${dir}/hostapd.pid ${dir}/hostapd.conf`,
      `dnsmasq --conf-file=${dir}/dnsmasq.conf`,
    ]);
    expect((await stat(join(dir, 'hostapd.conf'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'dnsmasq.conf'))).mode & 0o777).toBe(0o644);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readFile(join(dir, 'hostapd.conf'), 'utf8')).toContain(`wpa_passphrase=${PASS}\n`);
    expect(await readFile(join(dir, 'dnsmasq.conf'), 'utf8')).toContain(`pid-file=${dir}/dnsmasq.pid\n`);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('returns to station mode: kills both daemons, flushes the address, deletes the passphrase file', async () => {
    const ap = make();
    await ap.start(input);
    rec.calls.length = 0;
    now = 2000;
    expect(await ap.stop()).toEqual({ state: 'station', since: 2000 });
    expect(rec.calls).toEqual(['kill -TERM 4343', 'kill -TERM 4242', 'ip addr flush dev wlan0']);
    expect(await readdir(dir)).toEqual(['dnsmasq.conf']);
    rec.calls.length = 0;
    expect((await ap.stop()).state).toBe('station');
    expect(rec.calls).toEqual([]);
  });

  it('releases the interface from NetworkManager and hands it back (auto-detected)', async () => {
    rec.answers.push(['nmcli -t -f RUNNING general', { stdout: 'running\n' }]);
    const ap = make({ stationManager: 'auto' });
    await ap.start(input);
    await ap.stop();
    expect(rec.calls).toEqual([
      'nmcli -t -f RUNNING general',
      'nmcli device set wlan0 managed no',
      'ip addr flush dev wlan0',
      'ip addr add 10.0.0.1/24 dev wlan0',
      'ip link set dev wlan0 up',
      `hostapd -B -P ${dir}/hostapd.pid ${dir}/hostapd.conf`,
      `dnsmasq --conf-file=${dir}/dnsmasq.conf`,
      'kill -TERM 4343',
      'kill -TERM 4242',
      'ip addr flush dev wlan0',
      'nmcli device set wlan0 managed yes',
    ]);
  });

  it('treats a missing nmcli as "no NetworkManager"', async () => {
    rec.answers.push(['nmcli', Object.assign(new Error('spawn nmcli ENOENT'), { code: 'ENOENT' })]);
    await make({ stationManager: 'auto' }).start(input);
    expect(rec.calls.filter((c) => c.startsWith('nmcli'))).toEqual(['nmcli -t -f RUNNING general']);
  });

  it('creates and deletes a virtual AP interface beside the station interface', async () => {
    rec.answers.push(['nmcli -t -f RUNNING general', { stdout: 'running\n' }]);
    const ap = make({ stationManager: 'auto', virtualInterfaceParent: 'wlan0' });
    await ap.start({ ...input, interface: 'uap0' });
    await ap.stop();
    expect(rec.calls).toEqual([
      'nmcli -t -f RUNNING general',
      'iw dev wlan0 interface add uap0 type __ap',
      'nmcli device set uap0 managed no',
      'ip addr flush dev uap0',
      'ip addr add 10.0.0.1/24 dev uap0',
      'ip link set dev uap0 up',
      `hostapd -B -P ${dir}/hostapd.pid ${dir}/hostapd.conf`,
      `dnsmasq --conf-file=${dir}/dnsmasq.conf`,
      'kill -TERM 4343',
      'kill -TERM 4242',
      'iw dev uap0 del',
    ]);
    await expect(make({ virtualInterfaceParent: 'wlan0' }).start(input)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      detail: 'interface: must differ from virtualInterfaceParent',
    });
  });

  it('rolls back when hostapd fails, reports the interface busy, and never leaks the passphrase', async () => {
    rec.answers.push([
      'hostapd',
      {
        exitCode: 1,
        stdout: `nl80211: Could not set interface wlan0 flags (UP): Device or resource busy\nwpa_passphrase=${PASS}`,
      },
    ]);
    const ap = make();
    const err = await ap.start(input).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as ProvisioningError,
    );
    expect(err).toBeInstanceOf(ProvisioningError);
    expect(err.code).toBe('SOFTAP_FAILED');
    expect(err.detail).toMatch(/^interface wlan0 is busy; starting hostapd: hostapd exited with status 1: nl80211/);
    expect(err.message).not.toContain(PASS);
    expect(err.detail).toContain('[redacted]');
    expect(rec.calls.slice(-2)).toEqual([
      `hostapd -B -P ${dir}/hostapd.pid ${dir}/hostapd.conf`,
      'ip addr flush dev wlan0',
    ]);
    expect(await readdir(dir)).toEqual(['dnsmasq.conf']);
    const status = await ap.status();
    expect(status.state).toBe('failed');
    expect(status.error).toEqual({ code: 'SOFTAP_FAILED', detail: err.detail });
  });

  it('stops hostapd again when dnsmasq fails (port 53 taken)', async () => {
    rec.answers.push([
      'dnsmasq',
      { exitCode: 2, stderr: 'dnsmasq: failed to create listening socket for 10.0.0.1: Address already in use' },
    ]);
    const err = await make()
      .start(input)
      .then(
        () => {
          throw new Error('expected a failure');
        },
        (e: unknown) => e as ProvisioningError,
      );
    expect(err.detail).toBe(
      'starting dnsmasq: dnsmasq exited with status 2: dnsmasq: failed to create listening socket for 10.0.0.1: Address already in use',
    );
    expect(rec.calls.slice(-3)).toEqual([
      `dnsmasq --conf-file=${dir}/dnsmasq.conf`,
      'kill -TERM 4242',
      'ip addr flush dev wlan0',
    ]);
    expect(pids.size).toBe(0);
  });

  it('rejects an invalid config before running anything', async () => {
    await expect(make().start({ ...input, ssid: 'x\nwpa=0' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(rec.calls).toEqual([]);
    expect(() => make({ stateDir: 'relative/dir' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => make({ stateDir: '/run/../etc' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => make({ stateDir: '/run/x\naddress=/#/6.6.6.6' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('reports failed when a daemon died under a running AP', async () => {
    const ap = make();
    await ap.start(input);
    expect((await ap.status()).state).toBe('running');
    pids.delete(4242);
    now = 5000;
    expect(await ap.status()).toEqual({
      state: 'failed',
      ssid: 'Setup-pi-00af3c',
      interface: 'wlan0',
      address: '10.0.0.1',
      since: 5000,
      error: { code: 'SOFTAP_FAILED', detail: 'hostapd is not running' },
    });
    rec.calls.length = 0;
    expect((await ap.stop()).state).toBe('station');
    expect(rec.calls).toEqual(['kill -TERM 4343', 'ip addr flush dev wlan0']);
  });

  it('cleans up after a crashed previous run, and never kills a pid that is not its daemon', async () => {
    await make().start(input);
    pids.set(4343, 'sshd');
    rec.calls.length = 0;
    const fresh = make();
    expect((await fresh.stop()).state).toBe('station');
    expect(rec.calls).toEqual(['kill -TERM 4242', 'ip addr flush dev wlan0']);
  });

  it('reports and replaces an AP a previous process left running', async () => {
    await make().start(input);
    const fresh = make();
    expect(await fresh.status()).toEqual({ state: 'running', interface: 'wlan0', since: 1000 });
    rec.calls.length = 0;
    expect((await fresh.start(input)).state).toBe('running');
    expect(rec.calls.slice(0, 3)).toEqual(['kill -TERM 4343', 'kill -TERM 4242', 'ip addr flush dev wlan0']);
    pids.delete(4343);
    expect(await make().status()).toMatchObject({
      state: 'failed',
      error: { code: 'SOFTAP_FAILED', detail: 'only hostapd is running' },
    });
  });

  it('restarts with the new config when started twice, one operation at a time', async () => {
    const ap = make();
    const [first, second] = await Promise.all([ap.start(input), ap.start({ ...input, channel: 11 })]);
    expect(first.state).toBe('running');
    expect(second.state).toBe('running');
    expect(rec.calls.filter((c) => c.startsWith('hostapd') || c.startsWith('kill'))).toEqual([
      `hostapd -B -P ${dir}/hostapd.pid ${dir}/hostapd.conf`,
      'kill -TERM 4343',
      'kill -TERM 4242',
      `hostapd -B -P ${dir}/hostapd.pid ${dir}/hostapd.conf`,
    ]);
    expect(await readFile(join(dir, 'hostapd.conf'), 'utf8')).toContain('\nchannel=11\n');
  });

  it('surfaces a failed stop step as SOFTAP_FAILED after trying every step', async () => {
    const ap = make();
    await ap.start(input);
    rec.answers.push(['kill -TERM 4343', { exitCode: 1, stderr: 'kill: (4343) - Operation not permitted' }]);
    await expect(ap.stop()).rejects.toMatchObject({
      code: 'SOFTAP_FAILED',
      detail: 'stopping dnsmasq: kill exited with status 1: kill: (4343) - Operation not permitted',
    });
    expect(rec.calls.slice(-3)).toEqual(['kill -TERM 4343', 'kill -TERM 4242', 'ip addr flush dev wlan0']);
    expect((await ap.status()).state).toBe('failed');
  });
});
