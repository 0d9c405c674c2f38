/** The page test's browser comes from Debian when installed, else from `npm install` alone. */
import { accessSync, constants, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findChromium, unpackNpmChromium } from './chromium.js';

describe('findChromium', () => {
  it('uses the system Chromium when that path is an executable', async () => {
    // Any executable stands in for /usr/bin/chromium: the choice is by path, not by name.
    expect(await findChromium(process.execPath)).toEqual({ executablePath: process.execPath, source: 'system' });
  });

  it('falls back to the Chromium npm installed, unpacked into a private cache, executable by its owner', async () => {
    const found = await findChromium('/nonexistent/chromium');
    expect(found.source).toBe('npm');
    expect(found.executablePath).toMatch(/node_modules\/\.cache\/sparticuz-chromium-[\d.]+\/chromium$/);
    accessSync(found.executablePath, constants.X_OK);
    expect(statSync(found.executablePath).mode & 0o077).toBe(0);
    // A second call (or a concurrent one) finds the same unpacked copy.
    expect(await unpackNpmChromium()).toBe(found.executablePath);
  });
});
