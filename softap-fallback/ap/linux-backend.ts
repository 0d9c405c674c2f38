/**
 * The access point on Linux: hostapd + dnsmasq run directly (not through the distribution's
 * units, which read their own global config), their configs and pid files in one state directory.
 *
 * start: write configs atomically (hostapd.conf 0600: it holds the passphrase) → [iw: create the
 * virtual AP interface] → [nmcli: release the interface from NetworkManager] → ip addr flush/add,
 * ip link up → `hostapd -B` → `dnsmasq`. Each step's undo is pushed on a stack; a failure unwinds it
 * and throws SOFTAP_FAILED. `hostapd -B` and `dnsmasq` only daemonize after their setup worked, so
 * their exit status is a truthful "started".
 * stop: kill dnsmasq and hostapd by pid file, flush the address, give the interface back to
 * NetworkManager (station mode), delete hostapd.conf. Every step is tried even if one fails.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessPointBackend, AccessPointStatus } from './backend.js';
import { spawnRunner, systemClock } from '../../peripheral/system/index.js';
import type { CommandResult, CommandRunner } from '../../peripheral/system/index.js';
import {
  resolveAccessPointConfig,
  validateInterfaceName,
  type AccessPointConfig,
  type AccessPointConfigInput,
} from './config.js';
import { writeFileAtomic } from '../../peripheral/storage/index.js';
import { configInvalid, softapFailed } from './errors.js';
import { COMMAND_DETAIL_MAX_CHARS, COMMAND_TIMEOUT_MS, DEFAULT_AP_STATE_DIR } from './limits.js';
import {
  DNSMASQ_CONF_NAME,
  DNSMASQ_PID_NAME,
  HOSTAPD_CONF_NAME,
  HOSTAPD_PID_NAME,
  renderDnsmasqConf,
  renderHostapdConf,
} from './render.js';
import { SerialQueue } from './serial.js';
import { ProvisioningError } from '../../protocol/index.js';
import type { Clock } from '../../protocol/index.js';

export const HOSTAPD_CONF_MODE = 0o600;
export const DNSMASQ_CONF_MODE = 0o644;
export const STATE_DIR_MODE = 0o700;

/**
 * Who owns the interface in station mode. `networkmanager`: released with `nmcli device set IF
 * managed no` (runtime only, so a reboot returns it) and handed back with `managed yes`.
 * `none`: nothing else manages it. `auto`: `networkmanager` if `nmcli -t -f RUNNING general` says
 * "running", else `none`.
 */
export type StationManager = 'auto' | 'networkmanager' | 'none';

export interface Binaries {
  ip: string;
  iw: string;
  hostapd: string;
  dnsmasq: string;
  nmcli: string;
  kill: string;
}

export const DEFAULT_BINARIES: Binaries = {
  ip: 'ip',
  iw: 'iw',
  hostapd: 'hostapd',
  dnsmasq: 'dnsmasq',
  nmcli: 'nmcli',
  kill: 'kill',
};

export interface LinuxAccessPointOptions {
  /** How commands run (default the system's, each bounded by COMMAND_TIMEOUT_MS); tests record. */
  run?: CommandRunner;
  /** Absolute directory for configs, pid and lease files. Default /run/trusted-provisioning/softap. */
  stateDir?: string;
  stationManager?: StationManager;
  /**
   * Create the AP interface as a virtual `__ap` interface on this parent (e.g. `wlan0`) so the
   * station interface stays up beside it (brcmfmac: same channel as the station). Deleted on stop.
   */
  virtualInterfaceParent?: string;
  clock?: Clock;
  binaries?: Partial<Binaries>;
  /** Name of the live process with this pid, or undefined if none. Default reads /proc/PID/comm. */
  processName?: (pid: number) => Promise<string | undefined>;
  onWarning?: (message: string) => void;
}

const STATE_DIR_PATTERN = /^\/[A-Za-z0-9._/-]*$/;

async function procComm(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function readPid(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const trimmed = text.trim();
  // Only a plain positive pid above init: never `kill -TERM -1` or `kill 0` from a corrupt file.
  if (!/^[1-9]\d{0,9}$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  return pid > 1 ? pid : undefined;
}

export class LinuxAccessPoint implements AccessPointBackend {
  readonly #run: CommandRunner;
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #bin: Binaries;
  readonly #processName: (pid: number) => Promise<string | undefined>;
  readonly #onWarning: (message: string) => void;
  readonly #parent: string | undefined;
  readonly #queue = new SerialQueue();
  #stationManager: StationManager;
  #config: AccessPointConfig | undefined;
  #status: AccessPointStatus;

  constructor(options: LinuxAccessPointOptions) {
    this.#run = options.run ?? spawnRunner(COMMAND_TIMEOUT_MS);
    this.#dir = options.stateDir ?? DEFAULT_AP_STATE_DIR;
    if (!STATE_DIR_PATTERN.test(this.#dir) || this.#dir.split('/').includes('..')) {
      configInvalid('stateDir', 'must be an absolute path of A-Z a-z 0-9 . _ - / without ..');
    }
    this.#parent =
      options.virtualInterfaceParent === undefined
        ? undefined
        : validateInterfaceName(options.virtualInterfaceParent, 'virtualInterfaceParent');
    this.#stationManager = options.stationManager ?? 'auto';
    if (!['auto', 'networkmanager', 'none'].includes(this.#stationManager)) {
      configInvalid('stationManager', "must be 'auto', 'networkmanager' or 'none'");
    }
    this.#clock = options.clock ?? systemClock;
    this.#bin = { ...DEFAULT_BINARIES, ...options.binaries };
    this.#processName = options.processName ?? procComm;
    this.#onWarning = options.onWarning ?? ((message) => console.warn(message));
    this.#status = { state: 'station', since: this.#clock() };
  }

  async start(input: AccessPointConfigInput): Promise<AccessPointStatus> {
    const config = resolveAccessPointConfig(input);
    if (this.#parent !== undefined && this.#parent === config.interface) {
      configInvalid('interface', 'must differ from virtualInterfaceParent');
    }
    for (const warning of config.warnings) this.#onWarning(warning);
    return this.#queue.run(() => this.#start(config));
  }

  stop(): Promise<AccessPointStatus> {
    return this.#queue.run(() => this.#stop());
  }

  status(): Promise<AccessPointStatus> {
    return this.#queue.run(() => this.#check());
  }

  #path(name: string): string {
    return join(this.#dir, name);
  }

  #set(status: Omit<AccessPointStatus, 'since'>): AccessPointStatus {
    this.#status = { ...status, since: this.#clock() };
    return this.#status;
  }

  #describe(config: AccessPointConfig): Pick<AccessPointStatus, 'ssid' | 'interface' | 'address'> {
    return { ssid: config.ssid, interface: config.interface, address: config.address };
  }

  /** Runs one command; a non-zero exit or a failure to run becomes SOFTAP_FAILED with a redacted excerpt. */
  async #must(file: string, args: readonly string[], what: string, config?: AccessPointConfig): Promise<CommandResult> {
    let result: CommandResult;
    try {
      result = await this.#run(file, args);
    } catch (err) {
      throw softapFailed(`${what}: could not run ${file}`, err);
    }
    if (result.exitCode !== 0) {
      const output = this.#excerpt(`${result.stderr}\n${result.stdout}`, config);
      const busy = /busy/i.test(output) ? `interface ${config?.interface ?? ''} is busy; ` : '';
      throw softapFailed(`${busy}${what}: ${file} exited with status ${result.exitCode}${output ? `: ${output}` : ''}`);
    }
    return result;
  }

  #excerpt(output: string, config?: AccessPointConfig): string {
    let text = output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .join(' | ');
    if (config?.security.mode === 'wpa2') text = text.split(config.security.passphrase).join('[redacted]');
    // eslint-disable-next-line no-control-regex
    text = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
    return text.length > COMMAND_DETAIL_MAX_CHARS ? `${text.slice(0, COMMAND_DETAIL_MAX_CHARS)}…` : text;
  }

  async #resolveStationManager(): Promise<'networkmanager' | 'none'> {
    if (this.#stationManager !== 'auto') return this.#stationManager;
    let resolved: 'networkmanager' | 'none' = 'none';
    try {
      const probe = await this.#run(this.#bin.nmcli, ['-t', '-f', 'RUNNING', 'general']);
      if (probe.exitCode === 0 && probe.stdout.trim() === 'running') resolved = 'networkmanager';
    } catch {
      // nmcli is not installed: nothing to release.
    }
    this.#stationManager = resolved;
    return resolved;
  }

  async #start(config: AccessPointConfig): Promise<AccessPointStatus> {
    // A previous process may have died with the AP up: clean its daemons up before starting.
    if (this.#status.state !== 'station' || (await this.#liveDaemons()).length > 0) await this.#stop();
    this.#config = config;
    this.#set({ state: 'starting', ...this.#describe(config) });
    const undo: Array<() => Promise<unknown>> = [];
    const iface = config.interface;
    try {
      await mkdir(this.#dir, { recursive: true, mode: STATE_DIR_MODE });
      await writeFileAtomic(this.#path(HOSTAPD_CONF_NAME), renderHostapdConf(config), { mode: HOSTAPD_CONF_MODE });
      undo.push(() => rm(this.#path(HOSTAPD_CONF_NAME), { force: true }));
      await writeFileAtomic(this.#path(DNSMASQ_CONF_NAME), renderDnsmasqConf(config, { stateDir: this.#dir }), {
        mode: DNSMASQ_CONF_MODE,
      });
      const manager = await this.#resolveStationManager();
      if (this.#parent !== undefined) {
        await this.#must(
          this.#bin.iw,
          ['dev', this.#parent, 'interface', 'add', iface, 'type', '__ap'],
          'creating the AP interface',
          config,
        );
        undo.push(() => this.#run(this.#bin.iw, ['dev', iface, 'del']));
      }
      if (manager === 'networkmanager') {
        await this.#must(
          this.#bin.nmcli,
          ['device', 'set', iface, 'managed', 'no'],
          'releasing the interface from NetworkManager',
          config,
        );
        if (this.#parent === undefined)
          undo.push(() => this.#run(this.#bin.nmcli, ['device', 'set', iface, 'managed', 'yes']));
      }
      await this.#must(this.#bin.ip, ['addr', 'flush', 'dev', iface], 'clearing the interface address', config);
      undo.push(() => this.#run(this.#bin.ip, ['addr', 'flush', 'dev', iface]));
      await this.#must(
        this.#bin.ip,
        ['addr', 'add', `${config.address}/${config.prefixLength}`, 'dev', iface],
        'setting the AP address',
        config,
      );
      await this.#must(this.#bin.ip, ['link', 'set', 'dev', iface, 'up'], 'bringing the interface up', config);
      await this.#must(
        this.#bin.hostapd,
        ['-B', '-P', this.#path(HOSTAPD_PID_NAME), this.#path(HOSTAPD_CONF_NAME)],
        'starting hostapd',
        config,
      );
      undo.push(() => this.#killByPidFile(HOSTAPD_PID_NAME, 'hostapd'));
      await this.#must(this.#bin.dnsmasq, [`--conf-file=${this.#path(DNSMASQ_CONF_NAME)}`], 'starting dnsmasq', config);
      return this.#set({ state: 'running', ...this.#describe(config) });
    } catch (err) {
      for (const step of undo.reverse()) {
        await step().catch((e: unknown) =>
          this.#onWarning(`softap: undoing a step of the failed start failed: ${(e as Error).message}`),
        );
      }
      const failure =
        err instanceof ProvisioningError ? err : softapFailed('preparing the AP state directory failed', err);
      this.#set({
        state: 'failed',
        ...this.#describe(config),
        error: { code: failure.code, detail: failure.detail ?? '' },
      });
      throw failure;
    }
  }

  /** Sends SIGTERM to the daemon named in the pid file, if that pid is still that daemon. */
  async #killByPidFile(pidName: string, expected: string): Promise<void> {
    const pidPath = this.#path(pidName);
    const pid = await readPid(pidPath);
    if (pid !== undefined && (await this.#processName(pid)) === expected) {
      await this.#must(this.#bin.kill, ['-TERM', String(pid)], `stopping ${expected}`);
    }
    await rm(pidPath, { force: true });
  }

  /** The interface to clean up: the running config's, else the one a crashed run left in hostapd.conf. */
  async #lastInterface(): Promise<string | undefined> {
    if (this.#config !== undefined) return this.#config.interface;
    try {
      const text = await readFile(this.#path(HOSTAPD_CONF_NAME), 'utf8');
      const match = /^interface=(.+)$/m.exec(text);
      return match?.[1] === undefined ? undefined : validateInterfaceName(match[1]);
    } catch {
      return undefined;
    }
  }

  async #stop(): Promise<AccessPointStatus> {
    const iface = await this.#lastInterface();
    this.#set({ state: 'stopping', ...(iface === undefined ? {} : { interface: iface }) });
    const failures: ProvisioningError[] = [];
    const attempt = async (step: () => Promise<unknown>): Promise<void> => {
      try {
        await step();
      } catch (err) {
        failures.push(err instanceof ProvisioningError ? err : softapFailed('stopping the AP failed', err));
      }
    };
    await attempt(() => this.#killByPidFile(DNSMASQ_PID_NAME, 'dnsmasq'));
    await attempt(() => this.#killByPidFile(HOSTAPD_PID_NAME, 'hostapd'));
    if (iface !== undefined) {
      if (this.#parent !== undefined) {
        // Only a virtual interface we created is deleted; a missing one (already gone) is fine.
        await attempt(() => this.#run(this.#bin.iw, ['dev', iface, 'del']));
      } else {
        await attempt(() => this.#must(this.#bin.ip, ['addr', 'flush', 'dev', iface], 'clearing the AP address'));
        if ((await this.#resolveStationManager()) === 'networkmanager') {
          await attempt(() =>
            this.#must(
              this.#bin.nmcli,
              ['device', 'set', iface, 'managed', 'yes'],
              'returning the interface to NetworkManager',
            ),
          );
        }
      }
    }
    // The passphrase is on disk only while the AP runs.
    await attempt(() => rm(this.#path(HOSTAPD_CONF_NAME), { force: true }));
    this.#config = undefined;
    const first = failures[0];
    if (first !== undefined) {
      this.#set({
        state: 'failed',
        ...(iface === undefined ? {} : { interface: iface }),
        error: { code: first.code, detail: first.detail ?? '' },
      });
      throw first;
    }
    return this.#set({ state: 'station' });
  }

  /** The daemons whose pid files name a live process of the right name. */
  async #liveDaemons(): Promise<string[]> {
    const live: string[] = [];
    for (const [pidName, name] of [
      [HOSTAPD_PID_NAME, 'hostapd'],
      [DNSMASQ_PID_NAME, 'dnsmasq'],
    ] as const) {
      const pid = await readPid(this.#path(pidName));
      if (pid !== undefined && (await this.#processName(pid)) === name) live.push(name);
    }
    return live;
  }

  async #check(): Promise<AccessPointStatus> {
    if (this.#status.state === 'station' && this.#config === undefined) {
      // Another process (a crashed run, the CLI) may have left the AP up: report what is there.
      const live = await this.#liveDaemons();
      if (live.length === 0) return this.#status;
      const iface = await this.#lastInterface();
      const where = iface === undefined ? {} : { interface: iface };
      if (live.length === 2) return { state: 'running', ...where, since: this.#status.since };
      return {
        state: 'failed',
        ...where,
        since: this.#status.since,
        error: { code: 'SOFTAP_FAILED', detail: `only ${live.join(', ')} is running` },
      };
    }
    if (this.#status.state !== 'running' || this.#config === undefined) return this.#status;
    for (const [pidName, name] of [
      [HOSTAPD_PID_NAME, 'hostapd'],
      [DNSMASQ_PID_NAME, 'dnsmasq'],
    ] as const) {
      const pid = await readPid(this.#path(pidName));
      if (pid === undefined || (await this.#processName(pid)) !== name) {
        return this.#set({
          state: 'failed',
          ...this.#describe(this.#config),
          error: { code: 'SOFTAP_FAILED', detail: `${name} is not running` },
        });
      }
    }
    return this.#status;
  }
}
