/**
 * `npm run device -- <command>`: the device's command line.
 *
 *   start            run the device: agent + BLE and/or SoftAP per `softap.mode` (until SIGINT/SIGTERM)
 *   status           print the provisioning state from disk (one JSON line)
 *   reset --yes      factory reset: forget credentials, journal, job and the provisioned Wi-Fi
 *   make-setup-code  draw the setup code and write the verifier (see peripheral/setup-code)
 *
 * Options: --config PATH (default device.json; missing = development defaults).
 * Exit codes: 0 ok, 1 failure (`error CODE: message` on stderr), 2 usage.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import './node-notice.js';
import { isMainModule } from './main-module.js';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine, isProvisioningError, ProvisioningError } from '../../protocol/index.js';
import {
  deviceStorage,
  startDevice,
  wifiBackend,
  readDeviceConfig,
  DEFAULT_CONFIG_PATH,
  RuntimeStatusFile,
} from './config/index.js';
import type { DeviceConfig } from './config/index.js';
import { within } from '../../ble/peripheral/index.js';
import { systemTimers } from '../../peripheral/system/index.js';
import { CONSOLE_OUTPUT, runMakeSetupCodeCli } from '../../peripheral/setup-code/index.js';

const USAGE = `usage: device <command> [--config PATH]
  start             run the device (agent + BLE and/or SoftAP per softap.mode) until interrupted
  status            print the provisioning state (JSON)
  reset --yes       factory reset (refused, DEVICE_BUSY, while the device runs)
  make-setup-code   draw a setup code and write the verifier (--help for its options)
  --config PATH     configuration file (default ${DEFAULT_CONFIG_PATH}; absent = development defaults)
  -h, --help        this text (make-setup-code --help: its own)

exit codes: 0 ok, 1 failure (error CODE: message), 2 usage`;

const PROGRAM = { name: 'device', help: 'npm run device -- --help' };
const COMMANDS = ['start', 'status', 'reset'];

/** The command and its flags; `--yes` belongs to reset alone. */
function parseDeviceArgs(argv: readonly string[]): { command: string; config: string | undefined; yes: boolean } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      yes: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (command === undefined)
    throw new CliUsageError(`a command is required (${[...COMMANDS, 'make-setup-code'].join(', ')})`);
  if (!COMMANDS.includes(command)) throw new CliUsageError(`unknown command ${JSON.stringify(command)}`);
  if (rest.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (values.yes && command !== 'reset') throw new CliUsageError(`--yes is an option of reset, not of ${command}`);
  if (command === 'reset' && !values.yes) {
    throw new CliUsageError(
      'reset forgets the device certificate, its thing link and the provisioned Wi-Fi: add --yes to confirm',
    );
  }
  return { command, config: values.config, yes: values.yes };
}

/** Period of the timer that keeps `device start` alive while nothing else runs, ms. */
const KEEP_ALIVE_MS = 60 * 60_000;
/**
 * The last-resort bound of `device stop` (SIGINT/SIGTERM): every part has its own, shorter bound
 * (the GATT server 1 s, the controller probe 2 s); past this the process exits anyway, with 1.
 */
export const DEVICE_STOP_TIMEOUT_MS = 2_500;

function log(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

async function start(config: DeviceConfig): Promise<number> {
  const device = await startDevice(config, log);
  const url = device.softapUrl;
  log(
    `device ${device.deviceId} on ${config.ble.transport}: ${device.agent.state} (softap ${config.softap.mode}${url ? ` at ${url}` : ''})`,
  );
  device.agent.onStatus((s) =>
    log(`status ${s.state}${s.error ? ` ${s.error}` : ''}${s.result ? ` thing=${s.result.thingName}` : ''}`),
  );
  // A provisioned device on-line may run no transport at all (policy mode): the process must stay.
  const keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  log('stopping');
  if (!(await within(systemTimers, DEVICE_STOP_TIMEOUT_MS, device.stop()))) {
    log(`stop did not finish within ${DEVICE_STOP_TIMEOUT_MS} ms; exiting anyway`);
    return 1;
  }
  log('stopped');
  return 0;
}

async function status(config: DeviceConfig): Promise<number> {
  const { store, journal, jobFile } = deviceStorage(config);
  const committed = await store.loadCommitted();
  const { records } = await journal.load();
  const last = records.at(-1);
  const pendingJob = (await jobFile.load()) !== undefined;
  const state = committed
    ? 'provisioned'
    : pendingJob
      ? 'resumable'
      : last?.step === 'failed'
        ? 'failed'
        : 'unprovisioned';
  console.log(
    JSON.stringify({
      state,
      ...(committed
        ? {
            thingName: committed.thingName,
            certificateId: committed.certificateId,
            endpoint: committed.endpoint,
            committedAt: committed.committedAt.toISOString(),
          }
        : {}),
      ...(last
        ? {
            lastStep: last.step,
            lastAt: last.at,
            ...(last.step === 'failed' ? { error: last.code, ...(last.detail ? { detail: last.detail } : {}) } : {}),
          }
        : {}),
      journalRecords: records.length,
      // The running device's BLE controller: available, unavailable (lost, re-attaching), unknown or stopped.
      ...(() => {
        const r = RuntimeStatusFile.read(config.stateDir);
        return { ble: r.ble, ...(r.transport ? { bleTransport: r.transport } : {}) };
      })(),
    }),
  );
  return 0;
}

async function reset(config: DeviceConfig): Promise<number> {
  // A running device holds the store and the Wi-Fi: resetting under it would leave it half-provisioned.
  if (RuntimeStatusFile.read(config.stateDir).ble !== 'stopped') {
    throw new ProvisioningError('DEVICE_BUSY', {
      detail: `a device is running on ${config.stateDir}: stop it first (Ctrl-C, or systemctl stop trusted-provisioning-device), then reset`,
    });
  }
  const { store, journal, jobFile } = deviceStorage(config);
  await wifiBackend(config).forget();
  await jobFile.remove();
  await store.reset();
  await journal.clear();
  console.log(JSON.stringify({ reset: true }));
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'make-setup-code') return runMakeSetupCodeCli(argv.slice(1));
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseDeviceArgs(argv), CONSOLE_OUTPUT);
  if (!parsed.ok) return parsed.exit;
  const { command, config: configPath } = parsed.value;
  try {
    const config = readDeviceConfig(configPath ?? DEFAULT_CONFIG_PATH, { required: configPath !== undefined });
    switch (command) {
      case 'start':
        return await start(config);
      case 'status':
        return await status(config);
      default:
        return await reset(config);
    }
  } catch (err) {
    if (isProvisioningError(err)) {
      console.error(`error ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

// Compared by real path: an installed program starts through npm's bin link (apps/device/main-module.ts).
if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
