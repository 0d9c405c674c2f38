/**
 * The installed programs (package.json `bin`) as a user runs them: built to JavaScript by
 * apps/build.mjs (what `npm install` runs), each started through a bin link as npm makes one, by its
 * `#!/usr/bin/env node` line, on plain Node (no tsx). `--help` prints the usage and exits 0; `npx
 * tp-device --help` works as the README writes it; and the built demo provisions a device end to end
 * from dist/ (native addons, the device's own process, the upload page built from dist/).
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_NOTICE_SHOWN, nodeSupportNotice } from '../../protocol/node-support.js';
import type { DemoSummary } from '../../demo/run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const LINKS = mkdtempSync(join(tmpdir(), 'bins-'));
afterAll(() => rmSync(LINKS, { recursive: true, force: true }));
/** `#!/usr/bin/env node` finds the Node running this test first (in CI: the machine's, then Node 24). */
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};
delete ENV[NODE_NOTICE_SHOWN];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[]): Promise<Run> {
  const child = spawn(command, args, { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** What a program may print on stderr besides its own output: the Node notice, on Node 20 only. */
const NOTICE = nodeSupportNotice(process.version);
const withoutNotice = (stderr: string): string => (NOTICE ? stderr.replace(`${NOTICE}\n`, '') : stderr);

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [join(ROOT, 'apps', 'build.mjs')], { cwd: ROOT, env: ENV });
  // As npm links a bin: node_modules/.bin/NAME -> the package's file.
  for (const [name, target] of Object.entries(bin)) symlinkSync(join(ROOT, target), join(LINKS, name));
}, 120_000);

describe('the programs of package.json bin', () => {
  it('are the device, the central, the cloud emulator and its setup, the air and the demo', () => {
    expect(Object.keys(bin).sort()).toEqual(['tp-air', 'tp-central', 'tp-cloud', 'tp-demo', 'tp-device', 'tp-setup']);
  });

  for (const name of ['tp-air', 'tp-central', 'tp-cloud', 'tp-demo', 'tp-device', 'tp-setup']) {
    it(`${name} --help, started through its bin link, prints the usage and exits 0`, async () => {
      const r = await run(join(LINKS, name), ['--help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^usage: /);
      expect(withoutNotice(r.stderr)).toBe('');
    }, 60_000);
  }

  it('npx tp-device --help works as the README writes it', async () => {
    const r = await run('npx', ['tp-device', '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: npx tp-device /);
  }, 120_000);

  it('the upload page builds from dist/ (its HTML, CSS and icon copied, its script bundled from the built modules)', async () => {
    const page = pathToFileURL(join(ROOT, 'dist', 'softap-fallback', 'web', 'index.js')).href;
    const script = `const p = await (await import(${JSON.stringify(page)})).buildPage();
      console.log(JSON.stringify([...p.files].map(([path, f]) => [path, f.body.length])));`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(r.code, r.stderr).toBe(0);
    const sizes = new Map(JSON.parse(r.stdout) as [string, number][]);
    expect([...sizes.keys()].sort()).toEqual(['/', '/assets/app.css', '/assets/app.js', '/assets/icon.svg']);
    for (const size of sizes.values()) expect(size).toBeGreaterThan(100);
  }, 60_000);

  it('tp-cloud serves the web app npm install built (dist/web-app), with its config.json, and stops on SIGINT', async () => {
    const dataDir = join(LINKS, 'cloud');
    const ports = ['iot', 'mqtt', 'oidc', 'cognito', 'web'].flatMap((p) => [`--${p}-port`, '0']);
    const cloud = spawn(join(LINKS, 'tp-cloud'), ['--data-dir', dataDir, ...ports, '--json'], { cwd: LINKS, env: ENV });
    let stderr = '';
    cloud.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(cloud, 'exit');
    try {
      const [line] = (await once(createInterface({ input: cloud.stdout }), 'line')) as [string];
      const { webApp, oidc } = JSON.parse(line) as { webApp?: string; oidc: { issuer: string } };
      expect(webApp, stderr).toMatch(/^http:\/\/localhost:\d+$/);
      const page = await fetch(`${webApp}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script src="/assets/app.js"');
      expect((await fetch(`${webApp}/assets/app.js`)).status).toBe(200);
      const config = (await (await fetch(`${webApp}/config.json`)).json()) as { oidc: { issuer: string } };
      expect(config.oidc.issuer).toBe(oidc.issuer);
    } finally {
      cloud.kill('SIGINT');
    }
    const [code] = (await exited) as [number | null];
    expect(code, stderr).toBe(0);
    expect(withoutNotice(stderr)).not.toContain('no web app');
  }, 120_000);

  it('tp-demo --json provisions a device from dist/ (its device process from dist/ too) and round-trips ten messages', async () => {
    const r = await run(join(LINKS, 'tp-demo'), ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as DemoSummary;
    expect(summary.failed).toEqual([]);
    expect(summary.devices.map((d) => d.thingName)).toEqual(['mything_SN-DEMO-1']);
    expect(summary.devices[0]!.messagesReceived).toHaveLength(10);
  }, 180_000);
});
