/**
 * Builds the upload page in memory with esbuild: the TypeScript in page/ (which imports protocol/,
 * central/engine/ and the SoftAP fetch client) bundled, minified and down-levelled for phone browsers,
 * plus the static HTML, CSS and icon. The device calls `buildPage()` once at start and hands the
 * result to `startSoftApServer({ page })`; nothing is written to disk.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions, Plugin } from 'esbuild';
import type { PageAssets, PageFile } from '../server/index.js';
import { PAGE_FILES } from './prebuilt.js';

export type { PageAssets, PageFile } from '../server/index.js';

/**
 * Browsers the bundle must run on: ES2020 (BigInt for the curve arithmetic), Chrome/Edge 80,
 * Firefox 78, Safari 15 (iOS 15). Safari 14 is out: esbuild declines to lower destructuring for it
 * (a Safari 14 bug), and @noble/* and cbor-x use destructuring throughout.
 */
export const PAGE_TARGETS = ['es2020', 'chrome80', 'edge80', 'firefox78', 'safari15'];

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
/** The page's entry is TypeScript beside this file in the source tree, JavaScript in the build (dist/). */
const PAGE_ENTRY = `main${extname(fileURLToPath(import.meta.url))}`;

/** Where each page file comes from (the script is the bundle). */
const SCRIPT_PATH = '/assets/app.js';
const SOURCES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/assets/app.css': 'app.css',
  '/assets/icon.svg': 'icon.svg',
};

/**
 * cbor-x probes `new Function('')` once at load to decide whether it may generate record readers.
 * Under the page's CSP (no 'unsafe-eval') the probe throws and the browser reports a CSP violation.
 * Its own no-eval build replaces the call; so do we: the probe then fails quietly and cbor-x uses
 * its plain readers (the protocol never uses records anyway).
 */
const cborNoEval: Plugin = {
  name: 'cbor-x-no-eval',
  setup(b) {
    b.onLoad({ filter: /[\\/]cbor-x[\\/]decode\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replace(/new Function\(/g, 'new BlockedFunction(');
      return { contents: patched, loader: 'js' };
    });
  },
};

/** esbuild settings for a page bundle (this page and the web app, apps/web): one minified script for phone browsers. */
export const PAGE_BUILD_OPTIONS = {
  bundle: true,
  write: false,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: PAGE_TARGETS,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'silent',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [cborNoEval],
} as const satisfies BuildOptions;

/** Builds the page (about a quarter of a second on a laptop core; see softap-fallback/README.md). */
export async function buildPage(): Promise<PageAssets> {
  const result = await build({ entryPoints: [`${PAGE_DIR}${PAGE_ENTRY}`], ...PAGE_BUILD_OPTIONS });
  const script = result.outputFiles[0];
  if (!script || result.outputFiles.length !== 1)
    throw new Error(`the page build produced ${result.outputFiles.length} files, expected 1`);
  const files = new Map<string, PageFile>();
  for (const { path, contentType } of PAGE_FILES) {
    const body = path === SCRIPT_PATH ? script.contents : new Uint8Array(await readFile(`${PAGE_DIR}${SOURCES[path]}`));
    files.set(path, { contentType, body });
  }
  return { files };
}
