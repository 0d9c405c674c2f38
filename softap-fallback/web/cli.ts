/**
 * `npx tsx softap-fallback/web/cli.ts [--out DIR]`: builds the upload page, prints its build time
 * and sizes (raw and gzip), and with --out writes the files (index.html, assets/…): a prebuilt page
 * a device can load with `loadPrebuiltPage(dir)` instead of building at start.
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CliUsageError, parseCommandLine } from '../../protocol/index.js';
import type { CliOutput } from '../../protocol/index.js';
// The page's builder (esbuild) and writer are imported once the command line is understood.

const PROGRAM = { name: 'softap-fallback/web/cli.ts', help: 'npx tsx softap-fallback/web/cli.ts --help' };
const USAGE = `usage: npx tsx softap-fallback/web/cli.ts [--out DIR]
  builds the SoftAP upload page and prints its sizes (raw and gzip)
  --out DIR     also write the files (index.html, assets/…) for loadPrebuiltPage(DIR)
  -h, --help    this text`;

async function main(argv: string[]): Promise<number> {
  const io: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  const parsed = parseCommandLine(
    PROGRAM,
    USAGE,
    argv,
    () => {
      const { values } = parseArgs({
        args: argv,
        options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
      if (values.out === '') throw new CliUsageError('--out needs a directory');
      return values.out;
    },
    io,
  );
  if (!parsed.ok) return parsed.exit;
  const out = parsed.value;
  const [{ buildPage }, { writePage }] = await Promise.all([import('./build.js'), import('./prebuilt.js')]);
  const started = performance.now();
  const page = await buildPage();
  const buildMs = performance.now() - started;
  let raw = 0;
  let gzip = 0;
  for (const [path, asset] of page.files) {
    const gz = gzipSync(asset.body, { level: 9 }).length;
    raw += asset.body.length;
    gzip += gz;
    console.log(
      `${path.padEnd(18)} ${(asset.body.length / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KiB  ${asset.contentType}`,
    );
  }
  if (out) await writePage(page, out);
  console.log(
    `${'total'.padEnd(18)} ${(raw / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gzip / 1024).toFixed(1).padStart(6)} KiB  built in ${buildMs.toFixed(0)} ms`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
