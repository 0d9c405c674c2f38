/**
 * Builds the web app with esbuild: app/main.ts (which bundles protocol/, central/engine, central/cloud
 * with the AWS SDK's browser clients, and ble/web) minified for phone browsers, plus the static page,
 * stylesheet, icon, manifest and service worker. `writeWebApp` puts them in a folder of static files
 * (what `npx tp-cloud` serves, and what any HTTPS host can serve).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PAGE_BUILD_OPTIONS } from '../../softap-fallback/web/index.js';

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));
/** main.ts from the sources, main.js where the program runs compiled (as softap-fallback/web/build.ts does). */
const APP_ENTRY = `main${extname(fileURLToPath(import.meta.url))}`;

/** Request path → source file (the script is the bundle) and content type. */
export const WEB_APP_FILES: ReadonlyArray<{
  readonly path: string;
  readonly file: string;
  readonly contentType: string;
}> = [
  { path: '/', file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { path: '/assets/app.js', file: 'assets/app.js', contentType: 'text/javascript; charset=utf-8' },
  { path: '/assets/app.css', file: 'assets/app.css', contentType: 'text/css; charset=utf-8' },
  { path: '/assets/icon.svg', file: 'assets/icon.svg', contentType: 'image/svg+xml' },
  { path: '/manifest.webmanifest', file: 'manifest.webmanifest', contentType: 'application/manifest+json' },
  { path: '/sw.js', file: 'sw.js', contentType: 'text/javascript; charset=utf-8' },
];

const SOURCES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/assets/app.css': 'app.css',
  '/assets/icon.svg': 'icon.svg',
  '/manifest.webmanifest': 'manifest.webmanifest',
  '/sw.js': 'sw.js',
};

/** The app's files by request path. */
export async function buildWebApp(): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: [`${APP_DIR}${APP_ENTRY}`],
    ...PAGE_BUILD_OPTIONS,
    plugins: [...PAGE_BUILD_OPTIONS.plugins],
  });
  const script = result.outputFiles[0];
  if (!script || result.outputFiles.length !== 1)
    throw new Error(`the app build produced ${result.outputFiles.length} files, expected 1`);
  const files = new Map<string, Uint8Array>();
  for (const { path } of WEB_APP_FILES) {
    files.set(
      path,
      path === '/assets/app.js' ? script.contents : new Uint8Array(await readFile(`${APP_DIR}${SOURCES[path]}`)),
    );
  }
  return files;
}

/** Writes the app into `dir` (each file through a temp name and a rename: a server never reads half a file). */
export async function writeWebApp(files: ReadonlyMap<string, Uint8Array>, dir: string): Promise<void> {
  for (const { path, file } of WEB_APP_FILES) {
    const body = files.get(path);
    if (!body) throw new Error(`the app has no ${path}`);
    const target = join(dir, file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, body);
    await rename(`${target}.tmp`, target);
  }
}
