/**
 * `npx tsx softap-fallback/web/cli.ts [--out DIR]`: builds the upload page, prints its build time
 * and sizes (raw and gzip), and with --out writes the files (index.html, assets/…): a prebuilt page
 * a device can load with `loadPrebuiltPage(dir)` instead of building at start.
 */
import { gzipSync } from 'node:zlib';
import { buildPage } from './build.js';
import { writePage } from './prebuilt.js';

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  if (outIndex >= 0 && !out) throw new Error('--out needs a directory');
  const started = performance.now();
  const page = await buildPage();
  const buildMs = performance.now() - started;
  let raw = 0;
  let gzip = 0;
  for (const [path, asset] of page.files) {
    const gz = gzipSync(asset.body, { level: 9 }).length;
    raw += asset.body.length;
    gzip += gz;
    console.log(`${path.padEnd(18)} ${(asset.body.length / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KiB  ${asset.contentType}`);
  }
  if (out) await writePage(page, out);
  console.log(`${'total'.padEnd(18)} ${(raw / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gzip / 1024).toFixed(1).padStart(6)} KiB  built in ${buildMs.toFixed(0)} ms`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
