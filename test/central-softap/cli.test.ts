/**
 * `central provision --transport softap --url URL`: the central CLI, in-process, logs in (code
 * flow through the provider's pages), fetches a claim and provisions a device over its SoftAP HTTP
 * API (the real server, agent and fleet routine) against the in-process cloud emulator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../apps/central/cli/run.js';
import {
  encodeSetupPayload,
  formatSetupCode,
  generateSetupCode,
  parseSetupCode,
} from '../../protocol/session/index.js';
import { signInThroughPages, startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import { NET, random, startSoftApFixture } from '../softap-server/fixture.js';
import type { SoftApFixture } from '../softap-server/fixture.js';

const SERIAL = 'SN-CLI-SOFTAP';
let fx: CentralFixture;
let device: SoftApFixture;
let tokenCache: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

async function cli(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--config', fx.emulator.cloudJsonPath, '--token-cache', tokenCache, ...args], {
    stdout: {
      write: (t: string) => {
        stdout += t;
      },
    },
    stderr: {
      write: (t: string) => {
        stderr += t;
      },
    },
    stdin: new PassThrough(),
    env: {},
    openBrowser: () => false,
    noble: () => {
      throw new Error('BLE must not be touched over SoftAP');
    },
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return { code, stdout, stderr, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  fx = await startCentralFixture();
  const auth = fx.auth('softap');
  await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
  tokenCache = join(fx.dir, 'tokens', 'softap.json');
  device = await startSoftApFixture({ caPem: fx.emulator.caPem, serial: SERIAL, deviceId: 'pi-cli-ap' });
}, 60_000);

afterAll(async () => {
  await device?.close();
  await fx?.close();
});

describe('central provision --transport softap', () => {
  const passwordFile = (): string => {
    const path = join(fx.dir, 'wifi-password');
    writeFileSync(path, `${NET.passphrase}\n`, { mode: 0o600 });
    return path;
  };

  it('refuses bad combinations with exit 2 before touching anything', async () => {
    const qr = encodeSetupPayload({
      deviceId: device.deviceId,
      setupCode: parseSetupCode(device.setupCode),
      transports: ['softap'],
    });
    expect((await cli(['provision', '--url', device.server.url, '--qr', qr, '--ssid', 'x', '--open'])).code).toBe(2);
    expect((await cli(['provision', '--transport', 'softap', '--qr', qr, '--ssid', 'x', '--open'])).code).toBe(2);
    expect(
      (
        await cli([
          'provision',
          '--transport',
          'softap',
          '--url',
          'ftp://10.0.0.1',
          '--qr',
          qr,
          '--ssid',
          'x',
          '--open',
        ])
      ).code,
    ).toBe(2);
    expect((await cli(['devices', '--transport', 'softap', '--url', device.server.url])).code).toBe(2);
    const all = await cli([
      'provision',
      '--transport',
      'softap',
      '--url',
      device.server.url,
      '--all',
      '--codes',
      join(fx.dir, 'none.txt'),
      '--ssid',
      'x',
      '--open',
    ]);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain('--all provisions over BLE');
    expect(device.server.connections()).toBe(0);
  });

  it('stops with DEVICE_NOT_FOUND (exit 8) when the device at the URL is another one', async () => {
    const other = encodeSetupPayload({
      deviceId: 'pi-other',
      setupCode: generateSetupCode(random),
      transports: ['softap'],
    });
    const r = await cli([
      'provision',
      '--transport',
      'softap',
      '--url',
      device.server.url,
      '--qr',
      other,
      '--ssid',
      NET.ssid,
      '--password-file',
      passwordFile(),
      '--json',
    ]);
    expect(r.code).toBe(8);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'DEVICE_NOT_FOUND' } });
    expect(device.device.agent.state).toBe('idle');
  }, 30_000);

  it('stops with SESSION_AUTH_FAILED (exit 6) on a wrong setup code, without printing it', async () => {
    const wrong = formatSetupCode(generateSetupCode(random));
    const r = await cli([
      'provision',
      '--transport',
      'softap',
      '--url',
      device.server.url,
      '--device',
      device.deviceId,
      '--setup-code',
      wrong,
      '--ssid',
      NET.ssid,
      '--password-file',
      passwordFile(),
      '--json',
    ]);
    expect(r.code).toBe(6);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'SESSION_AUTH_FAILED' } });
    expect(r.stdout + r.stderr).not.toContain(parseSetupCode(wrong));
    device.attempts.recordSuccess();
  }, 30_000);

  it('provisions the device from its QR payload over HTTP, printing progress but no secret', async () => {
    const qr = encodeSetupPayload({
      deviceId: device.deviceId,
      setupCode: parseSetupCode(device.setupCode),
      transports: ['softap'],
    });
    const r = await cli([
      'provision',
      '--transport',
      'softap',
      '--url',
      device.server.url,
      '--qr',
      qr,
      '--ssid',
      NET.ssid,
      '--password-file',
      passwordFile(),
      '--param',
      'DeviceLocation=Attic',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      ok: true,
      deviceId: device.deviceId,
      thingName: `mything_${SERIAL}`,
      transport: 'softap',
      attPayload: 512,
    });
    expect(r.stderr).toContain('registering');
    expect(fx.emulator.registry.things.get(`mything_${SERIAL}`)?.attributes).toMatchObject({ DeviceLocation: 'Attic' });
    expect(device.device.agent.state).toBe('provisioned');
    for (const text of [r.stdout + r.stderr, device.log.join('\n')]) {
      expect(text).not.toContain(NET.passphrase);
      expect(text).not.toContain(parseSetupCode(device.setupCode));
      expect(text).not.toContain('PRIVATE KEY');
    }
  }, 60_000);
});
