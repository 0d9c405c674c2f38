/**
 * `npx tp-device <command>`: the device's command line.
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
import { CliUsageError, parseCommandLine, isProvisioningError } from '../../protocol/index.js';
import { CONSOLE_OUTPUT, runMakeSetupCodeCli } from '../../peripheral/setup-code/index.js';
// The commands (./commands.ts) are imported once the command line is understood.

/** Where the configuration is read unless --config names it (the systemd unit passes --config). */
export const DEFAULT_CONFIG_PATH = 'device.json';

const USAGE = `usage: npx tp-device <command> [--config PATH]
  start             run the device (agent + BLE and/or SoftAP per softap.mode) until interrupted
  status            print the provisioning state (JSON)
  reset --yes       factory reset (refused, DEVICE_BUSY, while the device runs)
  make-setup-code   draw a setup code and write the verifier (--help for its options)
  --config PATH     configuration file (default ${DEFAULT_CONFIG_PATH}; absent = development defaults)
  -h, --help        this text (make-setup-code --help: its own)

exit codes: 0 ok, 1 failure (error CODE: message), 2 usage`;

const PROGRAM = { name: 'tp-device', help: 'npx tp-device --help' };
const COMMANDS = ['start', 'status', 'reset'] as const;
type Command = (typeof COMMANDS)[number];

/** The command and its flags; `--yes` belongs to reset alone. */
function parseDeviceArgs(argv: readonly string[]): { command: Command; config: string | undefined; yes: boolean } {
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
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new CliUsageError(`unknown command ${JSON.stringify(command)}`);
  if (rest.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (values.yes && command !== 'reset') throw new CliUsageError(`--yes is an option of reset, not of ${command}`);
  if (command === 'reset' && !values.yes) {
    throw new CliUsageError(
      'reset forgets the device certificate, its thing link and the provisioned Wi-Fi: add --yes to confirm',
    );
  }
  return { command: command as Command, config: values.config, yes: values.yes };
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'make-setup-code') return runMakeSetupCodeCli(argv.slice(1));
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseDeviceArgs(argv), CONSOLE_OUTPUT);
  if (!parsed.ok) return parsed.exit;
  const { command, config: configPath } = parsed.value;
  try {
    const { runDeviceCommand } = await import('./commands.js');
    return await runDeviceCommand(command, configPath ?? DEFAULT_CONFIG_PATH, configPath !== undefined);
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
