/**
 * A batch of five devices, each in its own process on an air server, provisioned by the central's
 * CLI with one login and several links at once: one device gets a wrong setup code and one a Wi-Fi
 * whose password differs; the other three succeed and the summary says why the two failed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNoble, startAir } from '../../ble/index.js';
import type { AirServer, Noble } from '../../ble/index.js';
import { runCli } from '../../apps/central/cli/run.js';
import {
  encodeSetupPayload,
  formatSetupCode,
  generateSetupCode,
  parseSetupCode,
} from '../../protocol/session/index.js';
import type { DeviceSpec } from './fixtures/device-process.js';
import { signInThroughPages, startCentralFixture } from './fixture.js';
import type { CentralFixture } from './fixture.js';

const NET = { ssid: 'home', passphrase: 'correct horse battery' };
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'device-process.ts');
/** How long one device process may take to start advertising (ms). */
const DEVICE_START_TIMEOUT_MS = 45_000;

interface Device {
  id: string;
  code: string;
  child: ChildProcess;
}

let fx: CentralFixture;
let airServer: AirServer;
let noble: Noble;
const devices: Device[] = [];

async function startDevice(id: string, serial: string, networks: DeviceSpec['networks']): Promise<Device> {
  const code = formatSetupCode(generateSetupCode(random));
  const spec: DeviceSpec = {
    air: airServer.spec,
    deviceId: id,
    setupCode: code,
    serial,
    stateDir: join(fx.dir, id),
    caPem: fx.emulator.caPem,
    networks,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CENTRAL_TEST_DEVICE: JSON.stringify(spec) },
  });
  const device = { id, code, child };
  devices.push(device);
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => {
      if (l === 'READY') resolve();
    });
    child.once('exit', (c) => reject(new Error(`device ${id} exited with ${c}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    ready,
    new Promise((_r, reject) => {
      timer = setTimeout(() => reject(new Error(`device ${id} did not start`)), DEVICE_START_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  return device;
}

beforeAll(async () => {
  fx = await startCentralFixture();
  await fx.auth('batch').loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
  airServer = await startAir({ tcp: { port: 0 } });
  noble = loadNoble(airServer.spec);
  await Promise.all([
    startDevice('pi-b1', 'SN-B1', [NET]),
    startDevice('pi-b2', 'SN-B2', [NET]),
    startDevice('pi-b3', 'SN-B3', [NET]),
    startDevice('pi-b4', 'SN-B4', [NET]),
    // This device's "home" network has another password than the one the user gives.
    startDevice('pi-b5', 'SN-B5', [{ ssid: NET.ssid, passphrase: 'a different password' }]),
  ]);
}, 120_000);

afterAll(async () => {
  for (const d of devices) {
    d.child.stdin?.end();
    if (d.child.exitCode === null) await once(d.child, 'exit');
  }
  await airServer?.close();
  await fx?.close();
}, 60_000);

describe('central provision --all', () => {
  it('provisions three of five, reports the wrong setup code and the wrong Wi-Fi password, exit 10', async () => {
    const codes = join(fx.dir, 'codes.txt');
    const lines = devices.map((d) =>
      d.id === 'pi-b4'
        ? `${d.id} ${formatSetupCode(generateSetupCode(random))}`
        : encodeSetupPayload({ deviceId: d.id, setupCode: parseSetupCode(d.code), transports: ['ble'] }),
    );
    writeFileSync(codes, `${lines.join('\n')}\n`);
    const password = join(fx.dir, 'wifi-password');
    writeFileSync(password, `${NET.passphrase}\n`, { mode: 0o600 });
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      [
        '--config',
        fx.emulator.cloudJsonPath,
        '--token-cache',
        join(fx.dir, 'tokens', 'batch.json'),
        'provision',
        '--all',
        '--codes',
        codes,
        '--ssid',
        NET.ssid,
        '--password-file',
        password,
        '--parallel',
        '3',
        '--json',
      ],
      {
        stdout: {
          write: (t: string) => {
            stdout += t;
          },
        },
        stderr: {
          write: (t: string) => {
            stderr += t;
            if (process.env.CENTRAL_DEBUG) process.stderr.write(t);
          },
        },
        stdin: new PassThrough(),
        env: {},
        openBrowser: () => false,
        noble: () => noble,
      },
    );
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      devices: Array<{ deviceId: string; ok: boolean; thingName?: string; error?: { code: string } }>;
      provisioned: number;
      failed: number;
      claimsIssued: number;
    };
    expect(code).toBe(10);
    expect(summary).toMatchObject({ provisioned: 3, failed: 2 });
    expect(summary.devices.map((d) => [d.deviceId, d.ok ? d.thingName : d.error?.code])).toEqual([
      ['pi-b1', 'mything_SN-B1'],
      ['pi-b2', 'mything_SN-B2'],
      ['pi-b3', 'mything_SN-B3'],
      ['pi-b4', 'SESSION_AUTH_FAILED'],
      ['pi-b5', 'WIFI_AUTH_FAILED'],
    ]);
    // One login, one claim for the whole batch (it stays fresh for minutes).
    expect(summary.claimsIssued).toBe(1);
    for (const id of ['SN-B1', 'SN-B2', 'SN-B3'])
      expect(fx.emulator.registry.things.get(`mything_${id}`)).toBeDefined();
    expect(fx.emulator.registry.things.get('mything_SN-B5')).toBeUndefined();
    const all = stdout + stderr;
    expect(all).not.toContain(NET.passphrase);
    for (const d of devices) {
      expect(all).not.toContain(d.code);
      expect(all).not.toContain(d.code.replace(/-/g, ''));
    }
  }, 120_000);
});
