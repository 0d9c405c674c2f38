/**
 * The page as a directory, for devices that should not run esbuild at start (a slow board, or an
 * install without dev tools): `writePage` stores what `buildPage` made (cli.ts --out), and
 * `loadPrebuiltPage` reads it back. Only the fixed list of page files is read; no name comes from
 * a request or the directory listing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PageAssets, PageFile } from '../server/index.js';

/** Request path → file in the directory, and its content type. */
export const PAGE_FILES: ReadonlyArray<{ readonly path: string; readonly file: string; readonly contentType: string }> =
  [
    { path: '/', file: 'index.html', contentType: 'text/html; charset=utf-8' },
    { path: '/assets/app.js', file: 'assets/app.js', contentType: 'text/javascript; charset=utf-8' },
    { path: '/assets/app.css', file: 'assets/app.css', contentType: 'text/css; charset=utf-8' },
    { path: '/assets/icon.svg', file: 'assets/icon.svg', contentType: 'image/svg+xml' },
  ];

/** Writes every page file (temp + rename, so a reader never sees half a file). */
export async function writePage(page: PageAssets, dir: string): Promise<void> {
  for (const { path, file } of PAGE_FILES) {
    const asset = page.files.get(path);
    if (!asset) throw new Error(`the page has no ${path}`);
    const target = join(dir, file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, asset.body);
    await rename(`${target}.tmp`, target);
  }
}

/** Reads a directory written by `writePage`; a missing file is an error naming it. */
export async function loadPrebuiltPage(dir: string): Promise<PageAssets> {
  const files = new Map<string, PageFile>();
  for (const { path, file, contentType } of PAGE_FILES) {
    files.set(path, { contentType, body: new Uint8Array(await readFile(join(dir, file))) });
  }
  return { files };
}
