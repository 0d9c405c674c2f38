/**
 * The whole web app flow in a real headless Chromium at phone size: the shipped bundle (built by
 * apps/web/build.ts, served by cloud/web-host as `npx tp-cloud` serves it) logs in on the emulator's
 * OIDC pages (code + PKCE), gets a claim from the browser (Cognito + AWS IoT through the AWS SDK's
 * browser clients, across origins: CORS), finds a real device (bleno, in its own process on the
 * virtual air) and provisions it. The browser's Bluetooth is the test's bridge (./bridge.ts) to
 * noble on the air; everything else is the app's own code.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { loadNoble, startAir } from '../../ble/index.js';
import type { AirServer, Noble } from '../../ble/index.js';
import type { RunningWebHost } from '../../cloud/web-host/index.js';
import { CHARACTERISTICS, SERVICE_UUID } from '../../protocol/index.js';
import { formatSetupCode, generateSetupCode } from '../../protocol/session/index.js';
import { startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import type { DeviceSpec } from '../central/fixtures/device-process.js';
import { launchChromium, watchedPage } from '../softap-browser/browser.js';
import type { WatchedPage } from '../softap-browser/browser.js';
import { logIn, startAppHost } from './app-host.js';
import { installBluetoothBridge } from './bridge.js';

const DEVICE_ID = 'pi-web';
const NET = { ssid: 'home', passphrase: 'correct horse battery' };
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'central', 'fixtures', 'device-process.ts');
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let fx: CentralFixture;
let air: AirServer;
let noble: Noble;
let device: ChildProcess;
let host: RunningWebHost;
let browser: Browser;
const setupCode = formatSetupCode(generateSetupCode(random));

async function startDevice(): Promise<ChildProcess> {
  const spec: DeviceSpec = {
    air: air.specs[0]!,
    deviceId: DEVICE_ID,
    setupCode,
    serial: 'SN-WEB-1',
    stateDir: join(fx.dir, DEVICE_ID),
    caPem: fx.emulator.caPem,
    networks: [NET],
  };
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CENTRAL_TEST_DEVICE: JSON.stringify(spec) },
  });
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (l) => l === 'READY' && resolve());
    child.once('exit', (c) => reject(new Error(`the device exited with ${c}`)));
  });
  return child;
}

beforeAll(async () => {
  fx = await startCentralFixture();
  air = await startAir({ tcp: { port: 0 } });
  noble = loadNoble(air.spec);
  device = await startDevice();
  host = await startAppHost(fx.emulator.cloudJson, fx.dir);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  device?.stdin?.end();
  if (device && device.exitCode === null) await once(device, 'exit');
  await air?.close();
  await fx?.close();
}, 60_000);

describe('web app, whole flow over the Bluetooth bridge', () => {
  let wp: WatchedPage;
  it('logs in, finds the device, checks the setup code, shows its Wi-Fi and provisions it', async () => {
    wp = await watchedPage(browser);
    const log = await installBluetoothBridge(wp.context, noble, DEVICE_ID);
    const { page } = wp;
    await logIn(page, {
      appUrl: host.url,
      issuer: fx.emulator.endpoints.oidcIssuer,
      username: fx.username,
      password: fx.password,
    });
    expect(await page.locator('#who').textContent()).toContain(fx.username);
    // The tokens are in sessionStorage only: nothing in localStorage or cookies of the app's origin.
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['tokens']);

    await page.getByRole('button', { name: 'Find a device' }).click();
    // Waits for the app to show the device (scan, connect, read info over the air), however long the machine takes.
    await page.locator('#device').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await page.locator('#device-id').textContent()).toBe(DEVICE_ID);
    expect(await page.locator('#device-state').textContent()).toBe('ready to be set up');
    expect(log.requests).toEqual([{ filters: [{ services: [SERVICE_UUID] }] }]);

    await page.fill('#setup-code', setupCode.replace(/-/g, '').toLowerCase());
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel(/^home/).check();
    expect(log.subscribed.slice(0, 3)).toEqual(
      ['session', 'status', 'scan'].map((n) => CHARACTERISTICS[n as 'session'].uuid),
    );
    await page.fill('#password', NET.passphrase);
    await page.getByRole('button', { name: 'Provision the device' }).click();
    await page.locator('#done').waitFor({ timeout: 60_000 });

    const thingName = (await page.locator('#thing-name').textContent()) ?? '';
    expect(fx.emulator.registry.things.get(thingName)).toBeDefined();
    const status = (await page.locator('#status').textContent()) ?? '';
    expect(status).toMatch(/^Provisioned in \d+ ms\.$/);
    console.log(`web app figure: ${status} (connect to provisioned, measured in the page)`);
    // Every frame the page wrote fits ATT_MTU 23, as ble/web promises.
    expect(log.writes.every((w) => w.bytes.length <= 20)).toBe(true);
    expect(wp.errors).toEqual([]);
    expect(await wp.cspViolations()).toEqual([]);
    await wp.close();
  }, 120_000);
});
