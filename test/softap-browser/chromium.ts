/**
 * THE place that finds a Chromium the page test can drive: Debian's when installed, otherwise the
 * one `npm install` brought (`@sparticuz/chromium`, a brotli-packed headless Chromium for Linux x64
 * that needs nothing from apt), unpacked once into `node_modules/.cache/`.
 */
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's package `chromium`. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** The packed archives of @sparticuz/chromium: the binary, its fonts, and the GL libraries beside it. */
const PACKED = ['chromium.br', 'fonts.tar.br', 'swiftshader.tar.br'] as const;

export interface FoundChromium {
  executablePath: string;
  source: 'system' | 'npm';
}

/** Debian's Chromium if it is there, else the npm one (unpacked on first use). */
export async function findChromium(systemPath = SYSTEM_CHROMIUM): Promise<FoundChromium> {
  if (isExecutable(systemPath)) return { executablePath: systemPath, source: 'system' };
  return { executablePath: await unpackNpmChromium(), source: 'npm' };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Unpacks into a private directory of the project, not the package's default shared `/tmp/chromium`:
 * another user could plant a binary there, and two test runs unpacking at once would run a half-written
 * file. Unpacked into a temporary sibling, then renamed into place (the rename is atomic; a loser of a
 * race deletes its copy).
 */
export async function unpackNpmChromium(): Promise<string> {
  const packageDir = dirname(dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))));
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const cacheRoot = join(packageDir, '..', '..', '.cache');
  const target = join(cacheRoot, `sparticuz-chromium-${version}`);
  const executable = join(target, 'chromium');
  if (await exists(executable)) return executable;
  await mkdir(cacheRoot, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(cacheRoot, `sparticuz-chromium-${version}.tmp-`));
  try {
    await inflateInto(staging, join(packageDir, 'bin'));
    await rename(staging, target);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    if (await exists(executable)) return executable;
    throw err;
  }
  return executable;
}

/** The package's own `inflate` writes to `os.tmpdir()`, which it reads synchronously on each call. */
async function inflateInto(dir: string, binDir: string): Promise<void> {
  const { inflate } = await import('@sparticuz/chromium');
  const saved = process.env.TMPDIR;
  let pending: Promise<string>[];
  process.env.TMPDIR = dir;
  try {
    pending = PACKED.map((name) => inflate(join(binDir, name)));
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  await Promise.all(pending);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
