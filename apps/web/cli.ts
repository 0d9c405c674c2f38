/**
 * `npm run web:build [-- --out DIR]`: builds the web app (apps/web) into a folder of static files
 * (default dist/web-app, which `npx tp-cloud` serves on http://localhost:4583; `npm install` builds
 * it there too, apps/build.mjs) and prints each file's size, raw and gzip: the development step after
 * changing the app. Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CliUsageError, parseCommandLine } from '../../protocol/index.js';
import type { CliOutput } from '../../protocol/index.js';
import { buildWebApp, writeWebApp } from './build.js';

const HERE = fileURLToPath(import.meta.url);
/** Where `npx tp-cloud` looks for the built app: dist/web-app (this file is apps/web/cli.ts or dist/apps/web/cli.js). */
export const DEFAULT_WEB_APP_DIR =
  extname(HERE) === '.js'
    ? join(dirname(HERE), '..', '..', 'web-app')
    : join(dirname(HERE), '..', '..', 'dist', 'web-app');

const PROGRAM = { name: 'web:build', help: 'npm run web:build -- --help' };
const USAGE = `usage: npm run web:build -- [--out DIR]
  builds the provisioning web app and prints its sizes (raw and gzip)
  --out DIR     where to write the static files (default dist/web-app, served by npx tp-cloud)
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
      return values.out ?? DEFAULT_WEB_APP_DIR;
    },
    io,
  );
  if (!parsed.ok) return parsed.exit;
  const files = await buildWebApp();
  let raw = 0;
  let gzip = 0;
  for (const [path, body] of files) {
    const gz = gzipSync(body, { level: 9 }).length;
    raw += body.length;
    gzip += gz;
    console.log(
      `${path.padEnd(22)} ${(body.length / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gz / 1024).toFixed(1).padStart(6)} KiB`,
    );
  }
  await writeWebApp(files, parsed.value);
  console.log(
    `${'total'.padEnd(22)} ${(raw / 1024).toFixed(1).padStart(7)} KiB  gzip ${(gzip / 1024).toFixed(1).padStart(6)} KiB  -> ${parsed.value}`,
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
