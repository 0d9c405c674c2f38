import { parseArgs } from 'node:util';
import { helpAsked, usageErrorText, usageProblem, isProvisioningError } from '../../../protocol/index.js';
import type * as Ble from '../../../ble/index.js';
import type { Noble } from '../../../ble/index.js';
import type { LoginFlags } from './commands.js';
import type { ProvisionFlags } from './provision-command.js';
import type { CommandContext } from './context.js';
import { CliUsageError, EXIT, exitCodeFor } from './exit-codes.js';
import { Output } from './io.js';
import type { CliIo } from './io.js';

export const USAGE = `usage: npx tp-central [--config FILE] [--token-cache FILE] [--json] COMMAND

commands:
  login [--no-browser]              sign in with the browser (authorization code + PKCE, loopback redirect)
  login --device-grant              sign in on another device (prints a URL and a code)
  login --password-grant --username U [--password-file F]
                                    password grant, only where the provider allows it; as the
                                    seed: --client-id mobile-claim (a confidential client: secret from
                                    --client-secret-file F, $CENTRAL_CLIENT_SECRET(_FILE) or cloud.json)
                                    (password from F, $CENTRAL_PASSWORD or a prompt; never echoed)
  logout                            revoke and forget the login
  whoami                            show the login (refreshes it when near expiry)
  claim [--out DIR]                 federate and fetch a provisioning claim (checks the cloud path);
                                    --out DIR writes its certificate and key (0600) for the SoftAP page
  devices [--scan-time S]           list provisioning devices in range: name, RSSI, state
  provision (--device NAME | --qr PAYLOAD) --ssid S [--password-file F | --open] [--scan] [--param K=V]...
                                    provision one device over BLE; setup code from --setup-code,
                                    the QR payload, $CENTRAL_SETUP_CODE or a prompt; Wi-Fi password
                                    from F, $CENTRAL_WIFI_PASSWORD or a prompt (never echoed)
  provision ... [--find-timeout S]  how long to look for a device (default 15 s)
  provision ... --transport softap --url URL
                                    provision over the device's setup access point instead of
                                    BLE: join its Wi-Fi (Setup-<device id>), then URL is its page,
                                    e.g. http://10.0.0.1; same session, same messages
  provision --all --codes FILE --ssid S [...]
                                    provision every device listed in FILE (QR payloads, or
                                    DEVICE-ID SETUP-CODE lines) with one login, --parallel N
                                    links at once (default 3, at most 8)

options of every command (any other option is refused unless the command lists it):
  --config FILE       cloud.json of the emulator or a production config
                      (default $CENTRAL_CONFIG, else .data/cloud/cloud.json)
  --token-cache FILE  where the login is kept (default $CENTRAL_TOKEN_CACHE, else ~/.cache/trusted-provisioning/central-tokens.json)
  --client-id ID, --client-secret-file F
                      log in as another client of the provider (see login --password-grant)
  --json              one JSON document on stdout, for scripts
  -h, --help          this text

options of devices and provision:
  --transport SPEC    HCI transport for noble (default $BLE_TRANSPORT, else the air "npx tp-air"
                      starts, air:unix:<os.tmpdir()>/ble-air.sock; hci0 for this machine's adapter),
                      or \`softap\` (with --url) for provision over the device's SoftAP HTTP API

exit codes: 0 ok, 1 internal error, 2 usage, 3 configuration, 4 login, 5 cloud, 6 session
(setup code), 7 Wi-Fi, 8 device or Bluetooth, 9 protocol, 10 batch with failures`;

/** `--transport softap`: the device's SoftAP HTTP API instead of an HCI transport for BLE. */
export const SOFTAP_TRANSPORT = 'softap';

const PROGRAM = { name: 'tp-central', help: 'npx tp-central --help' };

/** Options every command takes. */
const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  'token-cache': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-file': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Options of each command (besides the global ones): any other is refused, not ignored. */
const COMMAND_OPTIONS = {
  login: {
    'device-grant': { type: 'boolean', default: false },
    'password-grant': { type: 'boolean', default: false },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    'no-browser': { type: 'boolean', default: false },
  },
  logout: {},
  whoami: {},
  claim: { out: { type: 'string' } },
  devices: { transport: { type: 'string' }, 'scan-time': { type: 'string' } },
  provision: {
    transport: { type: 'string' },
    device: { type: 'string' },
    qr: { type: 'string' },
    'setup-code': { type: 'string' },
    ssid: { type: 'string' },
    'password-file': { type: 'string' },
    open: { type: 'boolean', default: false },
    scan: { type: 'boolean', default: false },
    param: { type: 'string', multiple: true, default: [] as string[] },
    all: { type: 'boolean', default: false },
    codes: { type: 'string' },
    'find-timeout': { type: 'string' },
    parallel: { type: 'string' },
    url: { type: 'string' },
  },
} as const;

type Command = keyof typeof COMMAND_OPTIONS;
const COMMANDS = Object.keys(COMMAND_OPTIONS) as Command[];
const ALL_OPTIONS = {
  ...GLOBAL_OPTIONS,
  ...COMMAND_OPTIONS.login,
  ...COMMAND_OPTIONS.claim,
  ...COMMAND_OPTIONS.devices,
  ...COMMAND_OPTIONS.provision,
};

/** The command and its options; an option of another command (e.g. `whoami --ssid`) is a usage error. */
export function parseCentralArgs(argv: readonly string[]) {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    tokens: true,
    options: ALL_OPTIONS,
  });
  const [command, ...rest] = positionals;
  if (!command) throw new CliUsageError(`a command is required (${COMMANDS.join(', ')})`);
  if (!(COMMANDS as string[]).includes(command)) throw new CliUsageError(`unknown command ${command}`);
  if (rest.length > 0) throw new CliUsageError(`unexpected argument ${rest[0]}`);
  const allowed = new Set([...Object.keys(GLOBAL_OPTIONS), ...Object.keys(COMMAND_OPTIONS[command as Command])]);
  for (const t of tokens ?? []) {
    if (t.kind === 'option' && !allowed.has(t.name)) throw new CliUsageError(`${command} does not take ${t.rawName}`);
  }
  return { command: command as Command, values };
}

/** Longest --scan-time and --find-timeout, seconds. */
const MAX_WAIT_S = 120;

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (!(value > 0 && value <= MAX_WAIT_S))
    throw new CliUsageError(`${flag} must be more than 0 and at most ${MAX_WAIT_S} seconds`);
  return value;
}

function defaultNoble({ loadNoble, transportFromEnv }: typeof Ble, transport: string | undefined): Noble {
  return loadNoble(transport ?? transportFromEnv());
}

/**
 * The commands and what they use (openid-client, the AWS SDK, the engine, the BLE stack's loader),
 * imported once the command line is understood: `--help` and usage errors answer without them.
 */
async function loadCommands() {
  const [commands, provisioning, { commandContext }, ble] = await Promise.all([
    import('./commands.js'),
    import('./provision-command.js'),
    import('./context.js'),
    import('../../../ble/index.js'),
  ]);
  return { ...commands, ...provisioning, commandContext, ble };
}

/** Runs one `central` command; returns the exit code (never calls process.exit). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  const out = (): Output => new Output(io, json);
  if (helpAsked(argv) || argv[0] === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const { command, values } = parseCentralArgs(argv);
    json = values.json;
    checkTransport(command, values);
    return await runCommand(command, values, io, out);
  } catch (err) {
    return reportFailure(err, json, io, out);
  }
}

type Values = ReturnType<typeof parseCentralArgs>['values'];

/** `--transport softap` goes with `--url` and with provision only. */
function checkTransport(command: Command, values: Values): void {
  const softap = values.transport === SOFTAP_TRANSPORT;
  if (softap && command !== 'provision')
    throw new CliUsageError(`--transport ${SOFTAP_TRANSPORT} works with provision only`);
  if (softap !== (values.url !== undefined))
    throw new CliUsageError(`--transport ${SOFTAP_TRANSPORT} and --url URL go together`);
}

async function runCommand(command: Command, values: Values, io: CliIo, out: () => Output): Promise<number> {
  const { claim, login, logout, whoami, checkProvisionFlags, devices, provision, commandContext, ble } =
    await loadCommands();
  const context = (): CommandContext =>
    commandContext(
      {
        ...(values.config ? { config: values.config } : {}),
        ...(values['token-cache'] ? { tokenCache: values['token-cache'] } : {}),
        ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
        ...(values['client-secret-file'] ? { clientSecretFile: values['client-secret-file'] } : {}),
      },
      io.env,
    );
  const noble = (): Noble => (io.noble ? io.noble(values.transport) : defaultNoble(ble, values.transport));
  switch (command) {
    case 'login':
      await login(context(), loginOptions(values), out(), io);
      break;
    case 'logout':
      await logout(context(), out());
      break;
    case 'whoami':
      await whoami(context(), out());
      break;
    case 'claim':
      await claim(context(), out(), values.out);
      break;
    case 'devices': {
      const scanS = values['scan-time'] === undefined ? undefined : seconds(values['scan-time'], '--scan-time');
      await devices(noble(), out(), scanS === undefined ? undefined : scanS * 1000);
      break;
    }
    case 'provision': {
      const flags = provisionFlags(values);
      checkProvisionFlags(flags); // before the config, the login and any prompt
      const ok = await provision(context(), flags, noble, out(), io);
      return ok ? EXIT.ok : EXIT.batchPartial;
    }
    default:
      throw new CliUsageError(`unknown command ${command as string}`);
  }
  return EXIT.ok;
}

function loginOptions(values: Values): LoginFlags {
  return {
    deviceGrant: values['device-grant'],
    passwordGrant: values['password-grant'],
    browser: !values['no-browser'],
    ...(values.username ? { username: values.username } : {}),
    ...(values['password-file'] ? { passwordFile: values['password-file'] } : {}),
  };
}

function provisionFlags(values: Values): ProvisionFlags {
  return {
    open: values.open,
    scan: values.scan,
    params: values.param,
    all: values.all,
    ...(values.device ? { device: values.device } : {}),
    ...(values.qr ? { qr: values.qr } : {}),
    ...(values['setup-code'] ? { setupCode: values['setup-code'] } : {}),
    ...(values.ssid ? { ssid: values.ssid } : {}),
    ...(values['password-file'] ? { passwordFile: values['password-file'] } : {}),
    ...(values.codes ? { codes: values.codes } : {}),
    ...(values.parallel !== undefined ? { parallel: Number(values.parallel) } : {}),
    ...(values['find-timeout'] !== undefined
      ? { findTimeoutMs: seconds(values['find-timeout'], '--find-timeout') * 1000 }
      : {}),
    ...(values.url !== undefined ? { softapUrl: values.url } : {}),
  };
}

/** The failure on stderr (or as JSON), and its exit code. */
function reportFailure(err: unknown, json: boolean, io: CliIo, out: () => Output): number {
  const code = exitCodeFor(err);
  const problem = usageProblem(err);
  if (isProvisioningError(err)) out().error(err.code, err.message);
  else if (problem !== undefined) {
    if (json) out().error('USAGE', problem);
    io.stderr.write(usageErrorText(PROGRAM, problem).replace(/^[^\n]*\n/, json ? '' : '$&'));
    return EXIT.usage;
  } else out().error('INTERNAL', err instanceof Error ? err.message : String(err));
  return code;
}
