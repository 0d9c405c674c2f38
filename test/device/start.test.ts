/**
 * `device start` as its own process (the real composition: config file, verifier, attempt file,
 * trust from the emulator's cloud.json, simulated Wi-Fi, bleno on the air server's unix socket),
 * provisioned by the test phone on noble over the same air, then stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built } from '../support/built.js';
import { Air, loadNoble, setDefaultAir, startAir } from '../../ble/index.js';
import type { AirServer, Noble } from '../../ble/index.js';
import { makeSetupCode } from '../../peripheral/setup-code/index.js';
import { startTestCloud } from './cloud.js';
import type { TestCloud } from './cloud.js';
import { TestPhone } from './phone.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEVICE_ID = 'pi-start';

let cloud: TestCloud;
let dir: string;
let server: AirServer;
let noble: Noble;
let child: ChildProcess | undefined;
const lines: string[] = [];

function waitForLine(pattern: RegExp, ms = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const found = lines.find((l) => pattern.test(l));
    if (found) return resolve(found);
    const timer = setInterval(() => {
      const hit = lines.find((l) => pattern.test(l));
      if (hit) {
        clearInterval(timer);
        clearTimeout(limit);
        resolve(hit);
      }
    }, 20);
    const limit = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`no line matching ${pattern} (got: ${lines.join(' | ')})`));
    }, ms);
  });
}

beforeAll(async () => {
  cloud = await startTestCloud();
  dir = await mkdtemp(join(tmpdir(), 'device-start-'));
  const air = new Air();
  setDefaultAir(air);
  server = await startAir({ air, unixPath: join(dir, 'air.sock') });
  noble = loadNoble('virtual');
  await new Promise<void>((resolve) => {
    const n = noble as unknown as { state?: string; once(e: string, l: () => void): void };
    if (n.state === 'poweredOn') resolve();
    else n.once('stateChange', () => resolve());
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await server?.close();
  await cloud?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('device start', () => {
  it('runs from its configuration, is provisioned over BLE, and stops cleanly on SIGTERM', async () => {
    const made = await makeSetupCode({
      deviceId: DEVICE_ID,
      transports: ['ble'],
      outDir: join(dir, 'setup'),
      iterations: 1_000,
    });
    const config = join(dir, 'device.json');
    await writeFile(
      config,
      JSON.stringify({
        stateDir: join(dir, 'state'),
        verifierPath: made.verifierPath,
        serialNumber: 'SN-START',
        ble: { transport: `unix:${join(dir, 'air.sock')}` },
        trust: { cloudJson: cloud.emu.cloudJsonPath },
        wifi: { backend: 'simulated', networks: [{ ssid: 'home', passphrase: 'correct horse battery', rssi: -40 }] },
      }),
    );
    child = spawn(process.execPath, [built('apps/device/cli.ts'), 'start', '--config', config], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    createInterface({ input: child.stderr! }).on('line', (l) => lines.push(`stderr: ${l}`));
    await waitForLine(new RegExp(`device ${DEVICE_ID} on unix:.*: idle`));

    const phone = new TestPhone(noble);
    await phone.connect(DEVICE_ID);
    await phone.handshake(made.formatted);
    await phone.send('wifi', {
      type: 'wifi',
      ssid: new TextEncoder().encode('home'),
      passphrase: 'correct horse battery',
    });
    await phone.send('claim', await cloud.claim());
    await phone.send('control', { type: 'control', command: 'commit' });
    const done = await phone.status((s) => s.state === 'provisioned' || s.error !== undefined);
    expect(done).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-START' } });
    await phone.disconnect();
    await waitForLine(/status provisioned thing=mything_SN-START/);
    // Nothing secret in the device's log.
    expect(lines.join('\n')).not.toMatch(/correct horse battery|PRIVATE KEY/);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.endsWith('stopping'))).toBe(true);
  }, 90_000);
});
