#!/usr/bin/env node
// Builds the programs to JavaScript in dist/ (git-ignored), so that an installed device or phone runs
// them with plain `node`, no tsx: `npm install` runs this (package.json `prepare`), `npm run build`
// runs it by hand.
//
// One JavaScript file per TypeScript file (esbuild's transform, no bundle), in the same tree under
// dist/: imports stay as written, so packages resolve from the project's node_modules at run time
// (native addons included: better-sqlite3, bleno/noble, aws-crt, cbor-extract find their builds
// there as from source), and each path a module computes from import.meta.url keeps its meaning.
// Files a module reads beside itself are copied (the upload page's and the web app's HTML, CSS,
// icon, manifest and service worker). Then each program named in package.json `bin` gets
// `#!/usr/bin/env node` and the exec bit, and the web app (apps/web) is built from the built modules
// into dist/web-app/, where `tp-cloud` (and `npm run cloud`) serve it: no separate step.
/* global console */
import { build } from 'esbuild';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');
/** The folders the programs are made of (tests and benchmarks are not shipped). */
const SOURCES = ['apps', 'ble', 'central', 'cloud', 'demo', 'peripheral', 'protocol', 'softap-fallback'];
/** Read at run time from beside the module that reads them. */
const ASSETS = [
  'softap-fallback/web/page/index.html',
  'softap-fallback/web/page/app.css',
  'softap-fallback/web/page/icon.svg',
  'apps/web/app/index.html',
  'apps/web/app/app.css',
  'apps/web/app/icon.svg',
  'apps/web/app/manifest.webmanifest',
  'apps/web/app/sw.js',
];
/** The built web app, beside the programs (cloud/cli.ts and apps/web/cli.ts name the same folder). */
const WEB_APP = join(OUT, 'web-app');
const SHEBANG = '#!/usr/bin/env node\n';

/** Every .ts file under `dir` but tests and declarations. */
function sources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sources(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

async function main() {
  const started = Date.now();
  // A clean tree: a module deleted from the source must not live on in dist/.
  rmSync(OUT, { recursive: true, force: true });
  const entryPoints = SOURCES.flatMap((d) => sources(join(ROOT, d)));
  await build({
    entryPoints,
    outdir: OUT,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    // The oldest Node it still installs on (package.json engines).
    target: 'node20.19',
    logLevel: 'warning',
  });
  for (const asset of ASSETS) {
    mkdirSync(dirname(join(OUT, asset)), { recursive: true });
    copyFileSync(join(ROOT, asset), join(OUT, asset));
  }
  const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const [name, target] of Object.entries(bin ?? {})) {
    const file = join(ROOT, target);
    if (!existsSync(file)) throw new Error(`package.json bin ${name}: ${target} was not built`);
    const text = readFileSync(file, 'utf8');
    if (!text.startsWith('#!')) writeFileSync(file, SHEBANG + text);
    chmodSync(file, 0o755);
  }
  const programs = Object.keys(bin ?? {}).join(', ');
  const modulesMs = Date.now() - started;
  const webApp = await buildWebApp();
  console.log(
    `built ${entryPoints.length} modules to ${relative(process.cwd(), OUT) || '.'}/ in ${modulesMs} ms; programs: ${programs}; ` +
      `web app (${webApp.kib} KiB) to ${relative(process.cwd(), WEB_APP)}/ in ${webApp.ms} ms`,
  );
}

/** The web app, bundled by its own build module (as built above) from the built modules. */
async function buildWebApp() {
  const started = Date.now();
  const web = await import(pathToFileURL(join(OUT, 'apps', 'web', 'build.js')).href);
  const files = await web.buildWebApp();
  await web.writeWebApp(files, WEB_APP);
  const bytes = [...files.values()].reduce((n, body) => n + body.length, 0);
  return { kib: (bytes / 1024).toFixed(0), ms: Date.now() - started };
}

main().catch((err) => {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
