/**
 * `npm run air -- [options]`: a standalone virtual air that hosts in other processes attach to with
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
 */
import { parseArgs } from 'node:util';
import { defaultAirSocket } from '../transport/spec.js';
import type { Phy } from './link-timing.js';
import { startAir } from './server.js';
import type { AirServerOptions } from './server.js';

function parseTcp(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = colon >= 0 ? text.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  const port = Number(colon >= 0 ? text.slice(colon + 1) : text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--tcp: bad port in "${text}"`);
  return { host, port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      unix: { type: 'string' },
      tcp: { type: 'string' },
      clock: { type: 'string', default: 'realtime' },
      speed: { type: 'string' },
      interval: { type: 'string' },
      phy: { type: 'string' },
      'data-length': { type: 'string' },
      stats: { type: 'string', default: '0' },
    },
  });
  if (values.clock !== 'realtime' && values.clock !== 'virtual') throw new Error('--clock must be realtime or virtual');
  const options: AirServerOptions = { clock: values.clock };
  if (values.speed !== undefined) options.speed = Number(values.speed);
  if (values.interval !== undefined) options.connectionIntervalMs = Number(values.interval);
  if (values.phy !== undefined) options.phy = values.phy as Phy;
  if (values['data-length'] !== undefined) options.dataLength = Number(values['data-length']);
  const unix = values.unix ?? defaultAirSocket();
  if (unix !== 'none') options.unixPath = unix;
  if (values.tcp !== undefined) options.tcp = parseTcp(values.tcp);
  if (options.unixPath === undefined && !options.tcp) throw new Error('nothing to listen on: give --unix or --tcp');

  const server = await startAir(options);
  for (const spec of server.specs) console.log(`air listening: BLE_TRANSPORT=${spec}`);
  const stats = Number(values.stats);
  const print = (): void => console.log(JSON.stringify({ counters: server.air.counters(), links: server.air.linkInfo() }));
  const timer = stats > 0 ? setInterval(print, stats * 1000) : undefined;
  const stop = (): void => {
    if (timer) clearInterval(timer);
    print();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
