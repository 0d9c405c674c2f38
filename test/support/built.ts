/**
 * The programs as built (dist/, by test/setup/build-programs.ts at the start of every run): what
 * `npx tp-…` runs, started without tsx's loader.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built file of a source file: `apps/device/cli.ts` → `<repo>/dist/apps/device/cli.js`. */
export function built(sourcePath: string): string {
  if (!sourcePath.endsWith('.ts')) throw new Error(`built: ${sourcePath} is not a .ts source file`);
  return join(REPO, 'dist', `${sourcePath.slice(0, -'.ts'.length)}.js`);
}

/**
 * The built module of a source module, typed as the source: its relative paths (the programs it
 * spawns) then resolve inside dist/ too. `M` is `typeof import('<the source module>')`.
 */
export async function importBuilt<M>(sourcePath: string): Promise<M> {
  return (await import(pathToFileURL(built(sourcePath)).href)) as M;
}
