/**
 * `npx tsx peripheral/setup-code/cli.ts --name pi-kitchen [--transports ble,softap] [--out DIR]
 *  [--png] [--svg] [--iterations N] [--force] [--quiet]`
 * (later also `device make-setup-code ...`). Prints the label (QR, typed code, payload) on stdout:
 * the code is shown here once, for the label, and stored nowhere on the device.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CliUsageError, parseCommandLine, isProvisioningError } from '../../protocol/index.js';
import type { CliOutput } from '../../protocol/index.js';
import { TRANSPORTS, type Transport } from '../../protocol/session/index.js';
import { makeSetupCode } from './make-setup-code.js';
import { renderQrTerminal } from './qr.js';

const USAGE = `usage: npx tp-device make-setup-code --name DEVICE_ID [--transports ble,softap] [--out DIR] [--png] [--svg] [--iterations N] [--force] [--quiet]
  --name        device id (1-32 of A-Z a-z 0-9 . _ -), as advertised and printed in the QR payload
  --transports  comma list of ${TRANSPORTS.join(', ')} (default: ble,softap)
  --out         directory for verifier.json and the QR images (default: .data/setup-code)
  --png/--svg   also write setup-qr.png / setup-qr.svg (mode 0600)
  --iterations  PBKDF2 iterations (default 10000)
  --force       replace an existing verifier (the old label stops working)
  --quiet       print only the JSON line (no terminal QR)
  -h, --help    this text`;

const PROGRAM = { name: 'tp-device make-setup-code', help: 'npx tp-device make-setup-code --help' };
/** The device's CLIs print through console (their tests read it there). */
export const CONSOLE_OUTPUT: CliOutput = {
  stdout: (t) => console.log(t.replace(/\n$/, '')),
  stderr: (t) => console.error(t.replace(/\n$/, '')),
};

function parseMakeSetupCodeArgs(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      name: { type: 'string' },
      transports: { type: 'string', default: 'ble,softap' },
      out: { type: 'string', default: '.data/setup-code' },
      png: { type: 'boolean', default: false },
      svg: { type: 'boolean', default: false },
      iterations: { type: 'string' },
      force: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (!values.name) throw new CliUsageError('--name DEVICE_ID is required');
  const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
  if (iterations !== undefined && !Number.isSafeInteger(iterations))
    throw new CliUsageError('--iterations must be an integer');
  return { ...values, name: values.name, iterations };
}

/** Runs the command; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function runMakeSetupCodeCli(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(PROGRAM, USAGE, argv, () => parseMakeSetupCodeArgs(argv), CONSOLE_OUTPUT);
  if (!parsed.ok) return parsed.exit;
  const values = parsed.value;
  const { iterations } = values;
  try {
    const made = await makeSetupCode({
      deviceId: values.name,
      transports: values.transports.split(',') as Transport[],
      outDir: values.out,
      png: values.png,
      svg: values.svg,
      force: values.force,
      ...(iterations === undefined ? {} : { iterations }),
    });
    if (!values.quiet) {
      console.log(await renderQrTerminal(made.payload));
      console.log(`setup code: ${made.formatted}`);
      console.log(`QR payload: ${made.payload}`);
      console.log(`verifier:   ${made.verifierPath} (the device keeps only this file)`);
      if (made.pngPath) console.log(`QR (PNG):   ${made.pngPath}`);
      if (made.svgPath) console.log(`QR (SVG):   ${made.svgPath}`);
    }
    console.log(
      JSON.stringify({
        deviceId: made.verifier.deviceId,
        setupCode: made.formatted,
        payload: made.payload,
        verifier: made.verifierPath,
        png: made.pngPath ?? null,
        svg: made.svgPath ?? null,
      }),
    );
    return 0;
  } catch (err) {
    if (isProvisioningError(err)) {
      console.error(`error ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMakeSetupCodeCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
