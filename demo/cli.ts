/**
 * `npx tp-demo [--devices N] [--transport ble|softap] [--json]`.
 * Exit codes: 0 ok, 1 the demo (or any device) failed, 2 usage, 130 interrupted.
 */
// First: on a Node past its end of life, one line before any library warns (protocol/node-support.ts).
import './node-notice.js';
import { isMainModule } from '../apps/device/main-module.js';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine } from '../protocol/cli-usage.js';
import { step } from './progress.js';
import type { DemoSummary, DemoTransport } from './run.js';

/** Largest fleet the demo starts (one process per device on a laptop). */
export const MAX_DEMO_DEVICES = 20;

const USAGE = `usage: npx tp-demo [options]
  --devices N               devices to provision, 1-${MAX_DEMO_DEVICES} (default 1)
  --transport ble|softap    how the central reaches them (default ble)
  --json                    one JSON summary on stdout (progress stays on stderr)
  -h, --help                this text

exit codes: 0 ok, 1 the demo (or any device) failed, 2 usage, 130 interrupted`;
const PROGRAM = { name: 'tp-demo', help: 'npx tp-demo --help' };

function parseDemoArgs(argv: readonly string[]): { devices: number; transport: DemoTransport; json: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      devices: { type: 'string', default: '1' },
      transport: { type: 'string', default: 'ble' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.transport !== 'ble' && values.transport !== 'softap')
    throw new CliUsageError(`unknown transport "${values.transport}" (ble or softap)`);
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1 || devices > MAX_DEMO_DEVICES)
    throw new CliUsageError(`--devices must be an integer 1-${MAX_DEMO_DEVICES}`);
  return { devices, transport: values.transport, json: values.json };
}

export interface CliIo {
  stdout: (t: string) => void;
  stderr: (t: string) => void;
}

export function formatSummary(s: DemoSummary): string {
  const rows = s.devices.map((d) => [
    d.deviceId,
    d.thingName,
    d.certificateId,
    String(d.messagesReceived.length),
    String(d.phasesMs.bleTransfer),
    String(d.phasesMs.wifi),
    String(d.phasesMs.certificate),
    String(d.phasesMs.registration),
    String(d.phasesMs.firstMessage),
  ]);
  const softap = s.transport === 'softap';
  const head = [
    'device',
    'thing',
    'certificate',
    'msgs',
    softap ? 'HTTP ms' : 'BLE ms',
    'Wi-Fi ms',
    'cert ms',
    'register ms',
    '1st msg ms',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return (
    [
      `login ${s.loginMs} ms, claim ${s.claimMs} ms, ${
        softap
          ? `SoftAP over HTTP: ${s.httpRequests} requests, ${s.httpBytesSent} frame bytes posted, simulated BLE air time n/a`
          : `simulated BLE air time ${s.bleAirTimeMs} ms (${s.airPackets} link-layer PDUs)`
      }, total ${(s.totalMs / 1000).toFixed(1)} s`,
      line(head),
      ...rows.map(line),
      ...s.failed.map((f) => `FAILED ${f.deviceId}${f.code ? ` ${f.code}` : ''}: ${f.message}`),
    ].join('\n') + '\n'
  );
}

export async function main(
  argv: readonly string[],
  io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
  signal?: AbortSignal,
): Promise<number> {
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseDemoArgs(argv), io);
  if (!parsed.ok) return parsed.exit;
  const { devices, transport, json } = parsed.value;
  try {
    // Loaded only now: usage errors fail fast, before the cloud stack loads (which takes seconds:
    // so the user is told first).
    const progress = (l: string): void => io.stderr(`${l}\n`);
    const { runDemo } = await step(
      progress,
      'loading the cloud emulator, BLE and device code',
      () => import('./run.js'),
    );
    const summary = await runDemo({ devices, transport, progress, ...(signal ? { signal } : {}) });
    io.stdout(json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    return summary.failed.length === 0 ? 0 : 1;
  } catch (err) {
    if (signal?.aborted) {
      io.stderr('interrupted; everything started was stopped\n');
      return 130;
    }
    const e = err as { code?: string; message?: string };
    io.stderr(`demo failed${e.code ? ` (${e.code})` : ''}: ${e.message ?? String(err)}\n`);
    return 1;
  }
}

// Compared by real path: an installed program starts through npm's bin link (apps/device/main-module.ts).
if (isMainModule(import.meta.url)) {
  // A closed terminal or pipe must not crash the demo before it has stopped what it started.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const abort = new AbortController();
  // noble's own SIGINT handler exits the process when it is the last listener, before anything is
  // stopped: so this handler moves itself to the end each time. A second signal exits at once.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    process.off(signal, onSignal);
    process.on(signal, onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await main(process.argv.slice(2), undefined, abort.signal);
  process.exit(code);
}
