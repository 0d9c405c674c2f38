/**
 * The setup access point from a shell, for bring-up on a Pi (README, "Running it on a Pi"):
 *   tsx softap-fallback/ap/cli.ts render|start|stop|status|passphrase --device-id ID --secret-file F --country CC
 * `render --out DIR` writes the two configs without running anything. Exit codes: 0 ok, 2 bad
 * arguments (usage, protocol/cli-usage.ts) or config (CONFIG_INVALID), 3 the AP failed (SOFTAP_FAILED).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine, isProvisioningError } from '../../protocol/index.js';
import { configInvalid } from './errors.js';
import { DEFAULT_AP_STATE_DIR } from './limits.js';
import type { LinuxAccessPoint, StationManager } from './linux-backend.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = `usage: npx tsx softap-fallback/ap/cli.ts COMMAND [options]
  render      --device-id ID --secret-file FILE --country CC --out DIR [--interface wlan0] [--channel 6] [--state-dir DIR]
              write hostapd.conf and dnsmasq.conf without running anything
  start       --device-id ID --secret-file FILE --country CC [--interface wlan0] [--channel 6] [--state-dir DIR]
              [--station-manager auto|networkmanager|none] [--virtual-parent wlan0]
  stop        [--state-dir DIR] [--station-manager ...] [--virtual-parent wlan0]   back to station mode
  status      [--state-dir DIR] [--station-manager ...] [--virtual-parent wlan0]
  passphrase  --device-id ID --secret-file FILE   the AP's passphrase, for the label
  -h, --help  this text

exit codes: 0 ok, 2 usage or CONFIG_INVALID, 3 SOFTAP_FAILED`;

const PROGRAM = { name: 'softap-fallback/ap/cli.ts', help: 'npx tsx softap-fallback/ap/cli.ts --help' };
const BACKEND = ['state-dir', 'station-manager', 'virtual-parent'];
const RADIO = ['device-id', 'secret-file', 'country', 'interface', 'channel', 'state-dir'];
/** Options of each command and the ones it requires: any other is refused, not ignored. */
const COMMANDS: Record<string, { options: string[]; required: string[] }> = {
  render: { options: [...RADIO, 'out'], required: ['device-id', 'secret-file', 'country', 'out'] },
  start: { options: [...RADIO, ...BACKEND], required: ['device-id', 'secret-file', 'country'] },
  stop: { options: BACKEND, required: [] },
  status: { options: BACKEND, required: [] },
  passphrase: { options: ['device-id', 'secret-file'], required: ['device-id', 'secret-file'] },
};

function parseApArgs(argv: readonly string[]) {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    tokens: true,
    options: {
      'device-id': { type: 'string' },
      'secret-file': { type: 'string' },
      country: { type: 'string' },
      interface: { type: 'string', default: 'wlan0' },
      channel: { type: 'string' },
      'state-dir': { type: 'string', default: DEFAULT_AP_STATE_DIR },
      'station-manager': { type: 'string', default: 'auto' },
      'virtual-parent': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (command === undefined || spec === undefined)
    throw new CliUsageError(
      command === undefined
        ? `a command is required (${Object.keys(COMMANDS).join(', ')})`
        : `unknown command ${JSON.stringify(command)}`,
    );
  if (rest.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  for (const t of tokens ?? [])
    if (t.kind === 'option' && !spec.options.includes(t.name))
      throw new CliUsageError(`${command} does not take ${t.rawName}`);
  for (const name of spec.required)
    if ((values as Record<string, unknown>)[name] === undefined) throw new CliUsageError(`${command} needs --${name}`);
  return { command, values };
}

/** The access point's parts, imported once the command line is understood: `--help` and usage errors answer without them. */
async function loadParts() {
  const [storage, config, deviceConfig, identity, linux, render] = await Promise.all([
    import('../../peripheral/storage/index.js'),
    import('./config.js'),
    import('./device-config.js'),
    import('./identity.js'),
    import('./linux-backend.js'),
    import('./render.js'),
  ]);
  return { ...storage, ...config, ...deviceConfig, ...identity, ...linux, ...render };
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseApArgs(argv), {
    stdout: (t) => io.out(t.replace(/\n$/, '')),
    stderr: (t) => io.err(t.replace(/\n$/, '')),
  });
  if (!parsed.ok) return parsed.exit;
  const { command, values } = parsed.value;
  try {
    const {
      writeFileAtomic,
      resolveAccessPointConfig,
      accessPointConfigForDevice,
      derivePassphrase,
      DNSMASQ_CONF_MODE,
      HOSTAPD_CONF_MODE,
      LinuxAccessPoint,
      DNSMASQ_CONF_NAME,
      HOSTAPD_CONF_NAME,
      renderDnsmasqConf,
      renderHostapdConf,
    } = await loadParts();
    const backend = (): LinuxAccessPoint =>
      new LinuxAccessPoint({
        stateDir: values['state-dir'],
        stationManager: values['station-manager'] as StationManager,
        ...(values['virtual-parent'] === undefined ? {} : { virtualInterfaceParent: values['virtual-parent'] }),
        onWarning: io.err,
      });
    if (command === 'stop') return print(io, await backend().stop());
    if (command === 'status') return print(io, await backend().status());
    const deviceId = values['device-id'] ?? configInvalid('--device-id', 'is required');
    const secretFile = values['secret-file'] ?? configInvalid('--secret-file', 'is required');
    const secret = new Uint8Array(await readFile(secretFile));
    // Printing the passphrase is the point of this command (label printing); nothing else prints it.
    if (command === 'passphrase') {
      io.out(derivePassphrase(secret, deviceId));
      return 0;
    }
    const input = accessPointConfigForDevice({
      deviceId,
      deviceSecret: secret,
      interface: values.interface,
      countryCode: values.country ?? configInvalid('--country', 'is required'),
      ...(values.channel === undefined ? {} : { channel: Number(values.channel) }),
    });
    if (command === 'render') {
      const config = resolveAccessPointConfig(input);
      const out = values.out ?? configInvalid('--out', 'is required for render');
      await writeFileAtomic(join(out, HOSTAPD_CONF_NAME), renderHostapdConf(config), { mode: HOSTAPD_CONF_MODE });
      await writeFileAtomic(
        join(out, DNSMASQ_CONF_NAME),
        renderDnsmasqConf(config, { stateDir: values['state-dir'] }),
        { mode: DNSMASQ_CONF_MODE },
      );
      io.out(`wrote ${HOSTAPD_CONF_NAME} (0600) and ${DNSMASQ_CONF_NAME} to ${out} for SSID "${config.ssid}"`);
      return 0;
    }
    return print(io, await backend().start(input));
  } catch (err) {
    if (isProvisioningError(err)) {
      io.err(`${err.code}: ${err.message}`);
      return err.code === 'SOFTAP_FAILED' ? 3 : 2;
    }
    io.err(err instanceof Error ? err.message : String(err));
    return 2;
  }
}

function print(io: CliIo, status: unknown): number {
  io.out(JSON.stringify(status));
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
