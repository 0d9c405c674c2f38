/**
 * NetworkManager backend (nmcli).
 *
 * Secrets: the passphrase is never put in argv (visible to every user through `ps`/procfs). The
 * profile is written as a NetworkManager keyfile (mode 0600, atomically, in NetworkManager's
 * system-connections directory, which NM requires to be root-owned 0600) and handed to NM with
 * `nmcli connection load <file>`; then `nmcli connection up`. We chose the keyfile over
 * `nmcli --ask` because --ask expects an interactive prompt (its wording and buffering vary between
 * versions), and over `connection up passwd-file` because that supplies the secret for one
 * activation only and would leave the profile without it for the next boot.
 *
 * One dedicated profile name (`provisioning` by default) is used: it is deleted before a new
 * attempt and after a failed one, so nothing stale is left configured, and the previously active
 * Wi-Fi connection is brought back up on failure.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ProvisioningError, sleep } from '../../protocol/index.js';
import { SECRET_FILE_MODE, writeFileAtomic, nodeFs } from '../storage/index.js';
import type { FsOps } from '../storage/index.js';
import { spawnRunner, systemClock, systemTimers } from '../system/index.js';
import type { CommandResult, CommandRunner } from '../system/index.js';
import { textCredentials, validateCredentials, wifiError } from './credentials.js';
import type { TextCredentials } from './credentials.js';
import { classifyNmcliFailure, parseActiveConnections, parseScan, SCAN_FIELDS, splitTerse } from './nmcli-parse.js';
import { WIFI_COMMAND_TIMEOUT_MS, WIFI_CONNECT_TIMEOUT_MS, WIFI_POLL_INTERVAL_MS } from './types.js';
import { toScanNetworks } from './scan.js';
import type { JoinOptions, WifiBackend, WifiCredentials, WifiJoined, WifiStatus } from './types.js';
import type { Clock, ScanNetwork, Timers } from '../../protocol/index.js';

export const NM_SYSTEM_CONNECTIONS_DIR = '/etc/NetworkManager/system-connections';
export const DEFAULT_PROFILE_NAME = 'provisioning';
const WIFI_TYPE = '802-11-wireless';

export interface NmcliBackendOptions {
  /** Wireless interface, e.g. wlan0. */
  ifname: string;
  profileName?: string;
  runner?: CommandRunner;
  /** Time for deadlines and waits (default the system's; tests pass a manual one). */
  clock?: Clock;
  timers?: Timers;
  /** Where keyfiles go (tests use a temp dir). */
  connectionsDir?: string;
  fs?: FsOps;
  nmcli?: string;
  /** Where a failed rollback is reported (default stderr); the device passes its log. */
  log?: (line: string) => void;
}

/** Escapes a value for a keyfile (GKeyFile): backslash, and leading/trailing spaces. */
function keyfileValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/^ /, '\\s').replace(/ $/, '\\s');
}

export function buildKeyfile(id: string, uuid: string, ifname: string, creds: TextCredentials): string {
  const lines = [
    '[connection]',
    `id=${keyfileValue(id)}`,
    `uuid=${uuid}`,
    'type=wifi',
    `interface-name=${ifname}`,
    'autoconnect=true',
    '',
    '[wifi]',
    'mode=infrastructure',
    `ssid=${keyfileValue(creds.ssid).replace(/;/g, '\\;')}`,
    '',
  ];
  if (creds.passphrase) lines.push('[wifi-security]', 'key-mgmt=wpa-psk', `psk=${keyfileValue(creds.passphrase)}`, '');
  lines.push('[ipv4]', 'method=auto', '', '[ipv6]', 'method=auto', '');
  return lines.join('\n');
}

export class NmcliBackend implements WifiBackend {
  readonly name = 'networkmanager';
  private readonly run: CommandRunner;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly profile: string;
  private readonly dir: string;
  private readonly fs: FsOps;
  private readonly nmcli: string;

  constructor(private readonly options: NmcliBackendOptions) {
    this.run = options.runner ?? spawnRunner(WIFI_COMMAND_TIMEOUT_MS);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.profile = options.profileName ?? DEFAULT_PROFILE_NAME;
    this.dir = options.connectionsDir ?? NM_SYSTEM_CONNECTIONS_DIR;
    this.fs = options.fs ?? nodeFs;
    this.nmcli = options.nmcli ?? 'nmcli';
  }

  private get keyfilePath(): string {
    return join(this.dir, `${this.profile}.nmconnection`);
  }

  private async nm(args: string[], secret?: string): Promise<CommandResult> {
    try {
      return await this.run(this.nmcli, args);
    } catch (err) {
      throw wifiError(
        'WIFI_BACKEND_ERROR',
        `cannot run nmcli: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        secret,
        err,
      );
    }
  }

  async scan(): Promise<ScanNetwork[]> {
    const r = await this.nm([
      '-t',
      '-f',
      SCAN_FIELDS,
      'device',
      'wifi',
      'list',
      'ifname',
      this.options.ifname,
      '--rescan',
      'yes',
    ]);
    if (r.exitCode !== 0) throw wifiError('WIFI_SCAN_FAILED', r.stderr || r.stdout, undefined);
    return toScanNetworks(parseScan(r.stdout));
  }

  async current(): Promise<WifiStatus> {
    const r = await this.nm([
      '-t',
      '-f',
      'GENERAL.STATE,GENERAL.CONNECTION,IP4.ADDRESS',
      'device',
      'show',
      this.options.ifname,
    ]);
    if (r.exitCode !== 0) throw wifiError('WIFI_BACKEND_ERROR', r.stderr, undefined);
    const fields = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const [k, ...rest] = splitTerse(line);
      if (k && !fields.has(k)) fields.set(k, rest.join(':'));
    }
    const connected = (fields.get('GENERAL.STATE') ?? '').startsWith('100');
    const ssid = fields.get('GENERAL.CONNECTION');
    const ipv4 = fields.get('IP4.ADDRESS[1]');
    return { connected, ...(connected && ssid ? { ssid } : {}), ...(ipv4 ? { ipv4 } : {}) };
  }

  private async previousWifi(): Promise<{ uuid: string; name: string } | undefined> {
    const r = await this.nm(['-t', '-f', 'NAME,UUID,TYPE,DEVICE', 'connection', 'show', '--active']);
    if (r.exitCode !== 0) return undefined;
    const prev = parseActiveConnections(r.stdout).find((c) => c.type === WIFI_TYPE && c.name !== this.profile);
    return prev ? { uuid: prev.uuid, name: prev.name } : undefined;
  }

  /** Deletes our profile (NM removes its keyfile too); "unknown connection" is not an error. */
  private async deleteProfile(): Promise<void> {
    await this.nm(['connection', 'delete', 'id', this.profile]);
    await this.fs.rm(this.keyfilePath, { force: true });
  }

  async join(credentials: WifiCredentials, options: JoinOptions = {}): Promise<WifiJoined> {
    const creds = textCredentials(credentials, this.name);
    validateCredentials(creds);
    const secret = creds.passphrase;
    const timeoutMs = options.timeoutMs ?? WIFI_CONNECT_TIMEOUT_MS;
    const deadline = this.clock() + timeoutMs;
    const previous = await this.previousWifi();
    await this.deleteProfile();
    try {
      await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.keyfilePath, buildKeyfile(this.profile, randomUUID(), this.options.ifname, creds), {
        mode: SECRET_FILE_MODE,
        fs: this.fs,
      });
    } catch (err) {
      throw wifiError(
        'WIFI_BACKEND_ERROR',
        `cannot write the connection profile: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        secret,
      );
    }
    try {
      const load = await this.nm(['connection', 'load', this.keyfilePath], secret);
      if (load.exitCode !== 0) throw wifiError('WIFI_BACKEND_ERROR', `nmcli connection load: ${load.stderr}`, secret);
      const waitSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      const up = await this.nm(
        ['-w', String(waitSeconds), 'connection', 'up', 'id', this.profile, 'ifname', this.options.ifname],
        secret,
      );
      if (up.exitCode !== 0) {
        const text = `${up.stderr}\n${up.stdout}`;
        throw wifiError(classifyNmcliFailure(text, up.exitCode), text, secret);
      }
      const ipv4 = await this.waitForAddress(deadline, options.signal);
      if (!ipv4)
        throw wifiError('WIFI_NO_ADDRESS', `no IPv4 address on ${this.options.ifname} within ${timeoutMs} ms`, secret);
      return { address: ipv4 };
    } catch (err) {
      await this.rollback(previous);
      if (err instanceof ProvisioningError) throw err;
      throw wifiError('WIFI_BACKEND_ERROR', 'unexpected failure', secret);
    }
  }

  private async waitForAddress(deadline: number, signal?: AbortSignal): Promise<string | undefined> {
    for (;;) {
      const r = await this.nm(['-g', 'IP4.ADDRESS', 'device', 'show', this.options.ifname]);
      const address = r.exitCode === 0 ? r.stdout.split('\n')[0]?.split('|')[0]?.trim() : '';
      if (address) return address;
      if (this.clock() + WIFI_POLL_INTERVAL_MS > deadline) return undefined;
      await sleep(this.timers, WIFI_POLL_INTERVAL_MS, signal);
    }
  }

  /**
   * Removes the failed profile and brings the previous Wi-Fi connection back. The connect error is
   * what the phone must hear, so a step that fails here is logged, not thrown.
   */
  private async rollback(previous: { uuid: string } | undefined): Promise<void> {
    const log = this.options.log ?? ((line: string) => console.error(line));
    const failed = (step: string) => (err: unknown) =>
      log(`wifi: rollback: ${step} failed: ${err instanceof Error ? err.message : String(err)}`);
    await this.deleteProfile().catch(failed('deleting the provisioning profile'));
    if (!previous) return;
    const up = await this.nm(['connection', 'up', 'uuid', previous.uuid]).catch(
      failed('restoring the previous network'),
    );
    if (up && up.exitCode !== 0)
      log(`wifi: rollback: restoring the previous network failed: nmcli exit ${up.exitCode}: ${up.stderr.trim()}`);
  }

  async forget(): Promise<void> {
    await this.deleteProfile();
  }
}
