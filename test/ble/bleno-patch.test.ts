/**
 * The install-time patch of bleno's ATT server (ble/patches/bleno-att.mjs), run as npm runs it: a
 * plain `node` process. It is in place in the installed bleno, it is wired as the root postinstall
 * script, it applies exactly and idempotently, and it refuses any file that is not bleno 0.6.2's.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(root, 'ble', 'patches', 'bleno-att.mjs');
const installed = join(
  dirname(createRequire(join(root, 'package.json')).resolve('@abandonware/bleno/package.json')),
  'lib',
  'hci-socket',
  'gatt.js',
);
/** lib/hci-socket/gatt.js of the @abandonware/bleno 0.6.2 npm tarball. */
const ORIGINAL_SHA256 = '2f4c28bb648256c110d0673e21bbb622bbe7e0bcde147488a0d054bcd4842dbb';
const dir = mkdtempSync(join(tmpdir(), 'bleno-patch-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function patchTool(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A copy of the installed (patched) file with the patch undone: bleno 0.6.2 as published. */
function originalCopy(name: string): string {
  const file = join(dir, name);
  copyFileSync(installed, file);
  expect(patchTool('--revert', '--file', file).status).toBe(0);
  return file;
}

describe('bleno ATT patch', () => {
  it('is in place in the installed bleno (--check)', () => {
    const r = patchTool('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('in place');
    expect(readFileSync(installed, 'utf8')).toContain('trusted-provisioning patch');
  });

  it('runs on every npm install / npm ci: it is the root postinstall script', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['postinstall']).toBe('node ble/patches/bleno-att.mjs');
  });

  it('undoes to the exact 0.6.2 original, which --check rejects, and re-applies byte for byte, idempotently', () => {
    const file = originalCopy('gatt.js');
    expect(sha256(file)).toBe(ORIGINAL_SHA256);
    const check = patchTool('--check', '--file', file);
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('unpatched original');

    const applied = patchTool('--file', file);
    expect(applied.status).toBe(0);
    expect(applied.stdout).toContain('applied');
    expect(readFileSync(file)).toEqual(readFileSync(installed));

    const again = patchTool('--file', file);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('in place');
    expect(readFileSync(file)).toEqual(readFileSync(installed));
  });

  it('refuses, loudly and without touching it, a gatt.js that is not the expected original (e.g. another bleno release)', () => {
    const file = originalCopy('other-release.js');
    const changed = readFileSync(file, 'utf8').replace('this.maxMtu = 256;', 'this.maxMtu = 517;');
    writeFileSync(file, changed);
    const r = patchTool('--file', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bleno ATT patch FAILED');
    expect(r.stderr).toContain('Refusing to patch it');
    expect(readFileSync(file, 'utf8')).toBe(changed);
    expect(patchTool('--check', '--file', file).status).toBe(1);
  });

  it('fails on a missing file and on unknown arguments', () => {
    expect(patchTool('--file', join(dir, 'absent.js')).status).toBe(1);
    expect(patchTool('--frobnicate').stderr).toContain('unknown argument');
  });
});
