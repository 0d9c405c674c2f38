/**
 * wpa_supplicant backend (wpa_cli against a running wpa_supplicant with a control interface).
 *
 * Secrets: wpa_cli takes commands as arguments, which `ps` would show, so the one secret-bearing
 * command (`set_network N psk …`) is written to an interactive wpa_cli on stdin instead. And the
 * passphrase itself is not sent at all: the device derives the 256-bit PSK (PBKDF2-HMAC-SHA1, SSID
 * as salt, 4096 rounds, IEEE 802.11i) and sends that as 64 hex digits, which also avoids quoting.
 * WPA/WPA2-Personal and open networks; WPA3-SAE needs the passphrase itself (sae_password) and
 * is left to NetworkManager.
 *
 * The network is added, selected and watched (`status`); on failure it is removed and the previous
 * network reselected; `save_config` runs only after success, so the saved configuration never holds
 * a network that did not work.
 */
import { pbkdf2Sync } from 'node:crypto';
import { ProvisioningError, sleep } from '../../protocol/index.js';
import type { Clock, ErrorCode, ScanNetwork, Timers } from '../../protocol/index.js';
import { spawnRunner, systemClock, systemTimers } from '../system/index.js';
import type { CommandResult, CommandRunner } from '../system/index.js';
import { textCredentials, validateCredentials, wifiError } from './credentials.js';
import { toScanNetworks } from './scan.js';
import type { ScanResult } from './scan.js';
import { parseKeyValues, parseListNetworks, parseScanResults } from './wpa-parse.js';
import { WIFI_COMMAND_TIMEOUT_MS, WIFI_CONNECT_TIMEOUT_MS, WIFI_POLL_INTERVAL_MS } from './types.js';
import type { JoinOptions, WifiBackend, WifiCredentials, WifiJoined, WifiStatus } from './types.js';

/** Time given to wpa_supplicant to finish a scan before reading results (ms). */
export const WPA_SCAN_WAIT_MS = 3_000;

export interface WpaCliBackendOptions {
  ifname: string;
  runner?: CommandRunner;
  /** Time for deadlines and waits (default the system's; tests pass a manual one). */
  clock?: Clock;
  timers?: Timers;
  wpaCli?: string;
  /** Where a failed rollback is reported (default stderr); the device passes its log. */
  log?: (line: string) => void;
}

export function derivePsk(ssid: string, passphrase: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(passphrase)) return passphrase.toLowerCase();
  return pbkdf2Sync(passphrase, Buffer.from(ssid, 'utf8'), 4096, 32, 'sha1').toString('hex');
}

export class WpaCliBackend implements WifiBackend {
  readonly name = 'wpa_supplicant';
  private readonly run: CommandRunner;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly bin: string;
  /** The network id this backend added and that worked (for forget()). */
  private addedId: number | undefined;

  constructor(private readonly options: WpaCliBackendOptions) {
    this.run = options.runner ?? spawnRunner(WIFI_COMMAND_TIMEOUT_MS);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.bin = options.wpaCli ?? 'wpa_cli';
  }

  private async cli(args: string[], stdin?: string): Promise<CommandResult> {
    try {
      return await this.run(this.bin, ['-i', this.options.ifname, ...args], stdin !== undefined ? { stdin } : {});
    } catch (err) {
      throw new ProvisioningError('WIFI_BACKEND_ERROR', {
        detail: `cannot run wpa_cli: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      });
    }
  }

  /** Runs a command that must answer OK. */
  private async ok(args: string[], code: ErrorCode = 'WIFI_BACKEND_ERROR'): Promise<void> {
    const r = await this.cli(args);
    if (r.exitCode !== 0 || r.stdout.trim() !== 'OK')
      throw wifiError(code, `wpa_cli ${args[0]}: ${r.stdout || r.stderr}`, undefined);
  }

  async scan(options: { signal?: AbortSignal } = {}): Promise<ScanNetwork[]> {
    return toScanNetworks(await this.scanResults(options.signal));
  }

  /** The networks as wpa_cli names them (text SSIDs), for the join's "in range" check too. */
  private async scanResults(signal: AbortSignal | undefined): Promise<ScanResult[]> {
    const r = await this.cli(['scan']);
    const answer = r.stdout.trim();
    // FAIL-BUSY: a scan is already running; its results are as good.
    if (r.exitCode !== 0 || (answer !== 'OK' && answer !== 'FAIL-BUSY'))
      throw wifiError('WIFI_SCAN_FAILED', `wpa_cli scan: ${answer || r.stderr}`, undefined);
    await sleep(this.timers, WPA_SCAN_WAIT_MS, signal);
    const results = await this.cli(['scan_results']);
    if (results.exitCode !== 0) throw wifiError('WIFI_SCAN_FAILED', results.stderr, undefined);
    return parseScanResults(results.stdout);
  }

  async current(): Promise<WifiStatus> {
    const s = parseKeyValues((await this.cli(['status'])).stdout);
    const connected = s.get('wpa_state') === 'COMPLETED';
    const ssid = s.get('ssid');
    const ipv4 = s.get('ip_address');
    return { connected, ...(connected && ssid ? { ssid } : {}), ...(ipv4 ? { ipv4 } : {}) };
  }

  async join(credentials: WifiCredentials, options: JoinOptions = {}): Promise<WifiJoined> {
    const creds = textCredentials(credentials, this.name);
    validateCredentials(creds);
    const secret = creds.passphrase;
    const timeoutMs = options.timeoutMs ?? WIFI_CONNECT_TIMEOUT_MS;
    const deadline = this.clock() + timeoutMs;
    const networks = parseListNetworks((await this.cli(['list_networks'])).stdout);
    const previous = networks.find((n) => n.flags.includes('[CURRENT]'));

    const seen = await this.scanResults(options.signal);
    if (!seen.some((n) => n.ssid === creds.ssid))
      throw wifiError('WIFI_NETWORK_NOT_FOUND', `no network named ${JSON.stringify(creds.ssid)} in range`, secret);

    const added = await this.cli(['add_network']);
    const id = Number(added.stdout.trim());
    if (added.exitCode !== 0 || !Number.isInteger(id))
      throw wifiError('WIFI_BACKEND_ERROR', `wpa_cli add_network: ${added.stdout}`, secret);
    try {
      await this.ok(['set_network', String(id), 'ssid', Buffer.from(creds.ssid, 'utf8').toString('hex')]);
      await this.ok(['set_network', String(id), 'scan_ssid', '1']);
      if (secret) {
        await this.ok(['set_network', String(id), 'key_mgmt', 'WPA-PSK']);
        const r = await this.cli([], `set_network ${id} psk ${derivePsk(creds.ssid, secret)}\nquit\n`);
        if (r.exitCode !== 0 || /FAIL/.test(r.stdout) || !/\bOK\b/.test(r.stdout))
          throw wifiError('WIFI_BACKEND_ERROR', 'wpa_cli refused the PSK', secret);
      } else {
        await this.ok(['set_network', String(id), 'key_mgmt', 'NONE']);
      }
      await this.ok(['select_network', String(id)]);
      const ipv4 = await this.waitConnected(id, deadline, timeoutMs, secret, options.signal);
      // Other saved networks stay usable as fallbacks; the configuration is saved only now.
      await this.ok(['enable_network', 'all']);
      await this.ok(['save_config']);
      this.addedId = id;
      return { address: ipv4 };
    } catch (err) {
      await this.rollback(id, previous);
      if (err instanceof ProvisioningError) throw err;
      throw wifiError('WIFI_BACKEND_ERROR', 'unexpected failure', secret);
    }
  }

  /**
   * Polls `status` until COMPLETED with an address. A network wpa_supplicant marks TEMP-DISABLED
   * after a 4-way handshake means a wrong key; association attempts that never complete are an
   * association failure; COMPLETED without an address is a DHCP failure.
   */
  private async waitConnected(
    id: number,
    deadline: number,
    timeoutMs: number,
    secret: string | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    let sawHandshake = false;
    let sawAssociating = false;
    let completed = false;
    for (;;) {
      const s = parseKeyValues((await this.cli(['status'])).stdout);
      const state = s.get('wpa_state') ?? '';
      if (state === '4WAY_HANDSHAKE' || state === 'GROUP_HANDSHAKE') sawHandshake = true;
      if (state === 'ASSOCIATING' || state === 'ASSOCIATED' || state === 'AUTHENTICATING') sawAssociating = true;
      if (state === 'COMPLETED' && s.get('id') === String(id)) {
        completed = true;
        const ip = s.get('ip_address');
        if (ip) return ip;
      }
      if (!completed) {
        const mine = parseListNetworks((await this.cli(['list_networks'])).stdout).find((n) => n.id === id);
        if (mine?.flags.includes('[TEMP-DISABLED]')) {
          throw wifiError(
            sawHandshake || secret ? 'WIFI_AUTH_FAILED' : 'WIFI_ASSOCIATION_FAILED',
            'wpa_supplicant disabled the network after failed attempts',
            secret,
          );
        }
      }
      if (this.clock() + WIFI_POLL_INTERVAL_MS > deadline) {
        const code: ErrorCode = completed
          ? 'WIFI_NO_ADDRESS'
          : sawHandshake
            ? 'WIFI_AUTH_FAILED'
            : sawAssociating
              ? 'WIFI_ASSOCIATION_FAILED'
              : 'WIFI_TIMEOUT';
        throw wifiError(code, `not connected within ${timeoutMs} ms (last state ${state || 'unknown'})`, secret);
      }
      await sleep(this.timers, WIFI_POLL_INTERVAL_MS, signal);
    }
  }

  /**
   * Removes the failed network and selects the previous one again. The connect error is what the
   * phone must hear, so a step that fails here is logged, not thrown.
   */
  private async rollback(id: number, previous: { id: number } | undefined): Promise<void> {
    const log = this.options.log ?? ((line: string) => console.error(line));
    const steps: [string, string[]][] = [['removing the new network', ['remove_network', String(id)]]];
    if (previous) steps.push(['selecting the previous network', ['select_network', String(previous.id)]]);
    steps.push(['enabling the saved networks', ['enable_network', 'all']]);
    for (const [step, args] of steps) {
      const done = await this.cli(args).catch((err: unknown) => {
        log(`wifi: rollback: ${step} failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (done && (done.exitCode !== 0 || !/^OK/.test(done.stdout.trim())))
        log(
          `wifi: rollback: ${step} failed: wpa_cli answered ${done.exitCode !== 0 ? `exit ${done.exitCode}` : JSON.stringify(done.stdout.trim())}`,
        );
    }
  }

  async forget(): Promise<void> {
    if (this.addedId === undefined) return;
    await this.ok(['remove_network', String(this.addedId)]);
    await this.ok(['save_config']);
    this.addedId = undefined;
  }
}
