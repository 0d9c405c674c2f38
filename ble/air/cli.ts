/**
 * `npx tp-air [options]`: a standalone virtual air that hosts in other processes attach to with
 * BLE_TRANSPORT=air:unix:PATH or air:tcp:HOST:PORT. Each attached host gets its own LE controller.
 *
 *   --unix PATH          unix socket to listen on (default: os.tmpdir()/ble-air.sock, the path the
 *                        device and the central use when BLE_TRANSPORT is unset; "none" to skip)
 *   --tcp [HOST:]PORT    also listen on TCP (loopback unless HOST says otherwise; 0 = any free port)
 *   --clock realtime|virtual   simulated time follows the wall clock (default) or jumps ahead
 *   --speed N            realtime speed factor (default 1)
 *   --interval MS        connection interval of every link (default: what the central asks)
 *   --phy 1M|2M          PHY of new links (default 1M)
 *   --data-length N      LL payload octets per PDU, 27–251 (default 251)
 *   --stats SECONDS      print the counters every SECONDS (0 = only on exit)
 *   -h, --help
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import './node-notice.js';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine } from '../../protocol/index.js';
import type { CliOutput } from '../../protocol/index.js';
import type { AirServerOptions } from './server.js';
import { defaultAirSocket } from './socket-path.js';

const PROGRAM = { name: 'tp-air', help: 'npx tp-air --help' };

export const USAGE = `usage: npx tp-air [options]
  --unix PATH                unix socket to listen on (default: os.tmpdir()/ble-air.sock; "none" to skip)
  --tcp [HOST:]PORT          also listen on TCP (loopback unless HOST says otherwise; 0 = any free port)
  --clock realtime|virtual   simulated time follows the wall clock (default) or jumps ahead
  --speed N                  realtime speed factor (default 1)
  --interval MS              connection interval of every link (default: what the central asks)
  --phy 1M|2M                PHY of new links (default 1M)
  --data-length N            LL payload octets per PDU, 27-251 (default 251)
  --stats SECONDS            print the counters every SECONDS (0 = only on exit)
  -h, --help                 this text`;

function parseTcp(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = colon >= 0 ? text.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  const port = Number(colon >= 0 ? text.slice(colon + 1) : text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--tcp: bad port in "${text}"`);
  return { host, port };
}

function positiveNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0)) throw new CliUsageError(`${flag} must be a number above 0, got "${text}"`);
  return n;
}

/** The air's options from argv; throws CliUsageError (or parseArgs' error) naming the flag. */
export function airOptions(argv: readonly string[]): { options: AirServerOptions; statsS: number } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      unix: { type: 'string' },
      tcp: { type: 'string' },
      clock: { type: 'string', default: 'realtime' },
      speed: { type: 'string' },
      interval: { type: 'string' },
      phy: { type: 'string' },
      'data-length': { type: 'string' },
      stats: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.clock !== 'realtime' && values.clock !== 'virtual')
    throw new CliUsageError('--clock must be realtime or virtual');
  if (values.phy !== undefined && values.phy !== '1M' && values.phy !== '2M')
    throw new CliUsageError('--phy must be 1M or 2M');
  const options: AirServerOptions = { clock: values.clock };
  const speed = positiveNumber(values.speed, '--speed');
  if (speed !== undefined) options.speed = speed;
  const interval = positiveNumber(values.interval, '--interval');
  if (interval !== undefined) options.connectionIntervalMs = interval;
  if (values.phy !== undefined) options.phy = values.phy;
  if (values['data-length'] !== undefined) {
    const n = Number(values['data-length']);
    if (!Number.isInteger(n) || n < 27 || n > 251)
      throw new CliUsageError(`--data-length must be an integer 27-251, got "${values['data-length']}"`);
    options.dataLength = n;
  }
  const unix = values.unix ?? defaultAirSocket();
  if (unix !== 'none') options.unixPath = unix;
  if (values.tcp !== undefined) options.tcp = parseTcp(values.tcp);
  if (options.unixPath === undefined && !options.tcp)
    throw new CliUsageError('nothing to listen on: give --unix PATH or --tcp PORT');
  const statsS = Number(values.stats);
  if (!(statsS >= 0)) throw new CliUsageError(`--stats must be 0 or more seconds, got "${values.stats}"`);
  return { options, statsS };
}

async function main(argv: readonly string[]): Promise<number> {
  const out: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => airOptions(argv), out);
  if (!parsed.ok) return parsed.exit;
  const { options, statsS: stats } = parsed.value;

  // The air itself is imported once the command line is understood, like every program's work.
  const { startAir } = await import('./server.js');
  const server = await startAir(options);
  for (const spec of server.specs) console.log(`air listening: BLE_TRANSPORT=${spec}`);
  const print = (): void =>
    console.log(JSON.stringify({ counters: server.air.counters(), links: server.air.linkInfo() }));
  const timer = stats > 0 ? setInterval(print, stats * 1000) : undefined;
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      if (timer) clearInterval(timer);
      print();
      void server.close().then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`air: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
