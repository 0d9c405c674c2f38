/**
 * `npx tp-cloud`: starts the whole cloud emulator (AWS IoT control plane and MQTT broker, OIDC
 * provider, Cognito identity pool), prints its endpoints and writes cloud.json for the device and
 * the phone. `npx tp-cloud hash-password` turns a password on stdin into a users-file hash.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import './node-notice.js';
import { existsSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine, reportUsageError, isProvisioningError } from '../protocol/index.js';
import type { CliOutput } from '../protocol/index.js';
import type * as Emulator from './emulator/index.js';
import type { EmulatorPorts, RunningEmulator } from './emulator/index.js';
import { loadConfigFile, defaultConfig, WEB_CLIENT_ID } from './emulator/config/index.js';
import { DEFAULT_WEB_PORT, startWebHost, webAppConfig } from './web-host/index.js';
import type { RunningWebHost } from './web-host/index.js';

const HERE = fileURLToPath(import.meta.url);
/**
 * The web app (apps/web) as `npm install` builds it (apps/build.mjs): dist/web-app, beside the built
 * programs. This file runs as dist/cloud/cli.js (tp-cloud) or, under tsx, as cloud/cli.ts (`npm run
 * cloud`): both serve the same build.
 */
export const DEFAULT_WEB_APP_DIR =
  extname(HERE) === '.js' ? join(dirname(HERE), '..', 'web-app') : join(dirname(HERE), '..', 'dist', 'web-app');

export const DEFAULT_DATA_DIR = '.data/cloud';
/** Fixed default ports so that cloud.json, bookmarks and the issuer (and its tokens) stay valid across restarts. */
export const DEFAULT_PORTS = { iot: 4580, mqtt: 8883, oidc: 4581, cognito: 4582 } as const;

const USAGE = `usage: npx tp-cloud [options]
       npx tp-cloud hash-password < password.txt

options:
  --data-dir DIR       state directory (default ${DEFAULT_DATA_DIR})
  --config FILE        emulator configuration (JSON; see cloud/README.md)
  --host HOST          interface to bind (default 127.0.0.1)
  --iot-port N         AWS IoT control plane (default ${DEFAULT_PORTS.iot})
  --mqtt-port N        MQTT over mutual TLS (default ${DEFAULT_PORTS.mqtt}; falls back to a free port if taken)
  --oidc-port N        OpenID Connect provider (default ${DEFAULT_PORTS.oidc})
  --cognito-port N     Cognito identity pool (default ${DEFAULT_PORTS.cognito})
  --web-app DIR        the built web app to serve (default dist/web-app, which npm install builds)
  --web-port N         the web app on http://localhost:N (default ${DEFAULT_WEB_PORT})
  --json               print one JSON line instead of the table (includes the admin secret; webApp: the app's URL)
  -h, --help           this text

exit codes: 0 ok, 1 failure, 2 usage`;

const PROGRAM = { name: 'tp-cloud', help: 'npx tp-cloud --help' };

/**
 * The emulator (oidc-provider, aedes, SQLite, the AWS SDK: seconds to load on a Pi), imported only
 * once the command line asks for it: `--help`, usage errors and a bad --config answer without it.
 */
let emulatorModule: typeof Emulator | undefined;
async function loadEmulator(): Promise<typeof Emulator> {
  emulatorModule ??= await import('./emulator/index.js');
  return emulatorModule;
}
const OUT: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

function portArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliUsageError(`--${name} must be a port number (0-65535), got "${value}"`);
  return n;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function print(emulator: RunningEmulator): void {
  const rows: Array<[string, string]> = [
    ['AWS IoT control plane', emulator.endpoints.iotControlPlane],
    ['MQTT (mutual TLS)', `mqtts://${emulator.endpoints.mqttHost}:${emulator.endpoints.mqttPort}`],
    ['OIDC issuer', emulator.endpoints.oidcIssuer],
    ['Cognito identity', emulator.endpoints.cognito],
    ['Identity pool id', emulator.identityPoolId],
    ['Client id', emulator.clientId],
    ['Provisioning template', emulator.provisioningTemplateName],
    ['CA certificate', emulator.caPath],
    ['Region / account', `${emulator.region} / ${emulator.accountId}`],
    ['Admin access key', emulator.admin.accessKeyId],
    ['Admin secret key', `${emulator.admin.secretAccessKey}  (development credential)`],
    ...(emulator.demoUser
      ? [['Demo user', `${emulator.demoUser.username} / ${emulator.demoUser.password}`] as [string, string]]
      : []),
    ['Configuration file', emulator.cloudJsonPath],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('Cloud emulator running:');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(
    '\nTry: AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… aws iot list-things --region ' +
      `${emulator.region} --endpoint-url ${emulator.endpoints.iotControlPlane}`,
  );
  console.log('Stop with Ctrl-C.');
}

function parseCloudArgs(argv: readonly string[]) {
  const parsed = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      'iot-port': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'oidc-port': { type: 'string' },
      'cognito-port': { type: 'string' },
      'web-app': { type: 'string' },
      'web-port': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = parsed.positionals;
  if (command !== undefined && command !== 'hash-password') throw new CliUsageError(`unknown command "${command}"`);
  if (rest.length > 0) throw new CliUsageError(`unexpected argument "${rest[0]}"`);
  const { values } = parsed;
  if (command === 'hash-password') {
    const other = Object.keys(values)[0];
    if (other !== undefined) throw new CliUsageError(`hash-password takes no options (got --${other})`);
  }
  const ports = {
    iot: portArg(values['iot-port'], 'iot-port'),
    mqtt: portArg(values['mqtt-port'], 'mqtt-port'),
    oidc: portArg(values['oidc-port'], 'oidc-port'),
    cognito: portArg(values['cognito-port'], 'cognito-port'),
    web: portArg(values['web-port'], 'web-port'),
  };
  return { command, values, ports };
}

/** Serves the built web app with its config.json, when it was built; otherwise says how to build it. */
async function serveWebApp(
  emulator: RunningEmulator,
  dir: string,
  port: number | undefined,
  warnings: string[],
): Promise<RunningWebHost | undefined> {
  if (!existsSync(join(dir, 'index.html'))) {
    const built = dir === DEFAULT_WEB_APP_DIR;
    warnings.push(
      `no web app in ${relative(process.cwd(), dir) || '.'}: ${built ? '`npm run build` builds it (npm install does)' : 'give --web-app the folder `npm run web:build -- --out DIR` wrote'}, then start again to have it served`,
    );
    return undefined;
  }
  const { config, connectOrigins } = webAppConfig(emulator.cloudJson, WEB_CLIENT_ID);
  return startWebHost({ dir, config, connectOrigins, port: port ?? DEFAULT_WEB_PORT });
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseCloudArgs(argv), OUT);
  if (!parsed.ok) return parsed.exit;
  const { command, values, ports: given } = parsed.value;
  if (command === 'hash-password') {
    const password = await readStdin();
    if (!password) throw new CliUsageError('give the password on stdin');
    // identity/ is the OIDC provider too: imported only for this command.
    const { hashPassword } = await import('./emulator/identity/index.js');
    console.log(hashPassword(password));
    return 0;
  }

  const { config, warnings } = values.config
    ? loadConfigFile(values.config)
    : { config: defaultConfig(), warnings: [] as string[] };
  if (!values.config)
    warnings.push(
      `using the built-in configuration: demo user "${config.oidc.users[0]?.username}" has a plaintext password (for development only)`,
    );
  const ports: Required<EmulatorPorts> = {
    iot: given.iot ?? config.ports?.iot ?? DEFAULT_PORTS.iot,
    mqtt: given.mqtt ?? config.ports?.mqtt ?? DEFAULT_PORTS.mqtt,
    oidc: given.oidc ?? config.ports?.oidc ?? DEFAULT_PORTS.oidc,
    cognito: given.cognito ?? config.ports?.cognito ?? DEFAULT_PORTS.cognito,
  };
  const mqttChosen = values['mqtt-port'] !== undefined || config.ports?.mqtt !== undefined;
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  const host = values.host ?? config.host ?? '127.0.0.1';

  const { startEmulator, EmulatorStartError } = await loadEmulator();
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator({ dataDir, host, ports, config });
  } catch (err) {
    // 8883 is the AWS IoT port, but it may be taken (another broker) or refused: use a free one and say so.
    if (
      err instanceof EmulatorStartError &&
      err.component === 'mqtt' &&
      !mqttChosen &&
      ['EACCES', 'EADDRINUSE'].includes(err.errno ?? '')
    ) {
      warnings.push(`MQTT port ${ports.mqtt} unavailable (${err.errno}): using a free port instead (see cloud.json)`);
      emulator = await startEmulator({ dataDir, host, ports: { ...ports, mqtt: 0 }, config });
    } else {
      throw err;
    }
  }

  const web = await serveWebApp(emulator, values['web-app'] ?? DEFAULT_WEB_APP_DIR, given.web, warnings);
  for (const w of warnings) console.error(`warning: ${w}`);
  if (values.json) {
    console.log(
      JSON.stringify({
        ...emulator.cloudJson,
        cloudJsonPath: emulator.cloudJsonPath,
        admin: emulator.admin,
        ...(web ? { webApp: web.url } : {}),
      }),
    );
  } else {
    print(emulator);
    if (web) console.log(`Web app (apps/web): ${web.url}  (Chromium-based browsers: Web Bluetooth)`);
  }

  await new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      console.log(`\n${signal}: stopping the cloud emulator…`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await web?.close();
  await emulator.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = reportUsageError(PROGRAM, err, OUT);
    if (usage !== undefined) process.exit(usage);
    if (isProvisioningError(err)) {
      console.error(`error [${err.code}]: ${err.message}`);
    } else if (emulatorModule !== undefined && err instanceof emulatorModule.EmulatorStartError) {
      console.error(
        `error: ${err.message}${err.errno === 'EADDRINUSE' ? ' — is another emulator running? Choose other ports with --iot-port/--oidc-port/--cognito-port.' : ''}`,
      );
    } else {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  },
);
