/**
 * The whole web app flow in a real headless Chromium at phone size: the shipped bundle (built by
 * apps/web/build.ts, served by cloud/web-host as `npx tp-cloud` serves it) logs in on the emulator's
 * OIDC pages (code + PKCE), gets a claim from the browser (Cognito + AWS IoT through the AWS SDK's
 * browser clients, across origins: CORS), finds a real device (bleno, in its own process on the
 * virtual air) and provisions it. The browser's Bluetooth is the test's bridge (./bridge.ts) to
 * noble on the air; everything else is the app's own code. Then, on a second device, the failures a
 * person meets, each shown with its stable code and the app's advice, none provisioning anything:
 * a wrong setup code (then the right one read from the QR label), the device out of range, an
 * expired login, an expired claim, and a wrong Wi-Fi password fixed on the same session. The Wi-Fi
 * and done screens are checked with axe-core at phone size (./axe.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadNoble, startAir } from '../../ble/index.js';
import type { AirServer, Noble } from '../../ble/index.js';
import type { RunningWebHost } from '../../cloud/web-host/index.js';
import { CHARACTERISTICS, SERVICE_UUID } from '../../protocol/index.js';
import {
  encodeSetupPayload,
  formatSetupCode,
  generateSetupCode,
  parseSetupCode,
} from '../../protocol/session/index.js';
import { startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import { WEB_CLIENT_ID } from '../../cloud/emulator/config/schema.js';
import type { DeviceSpec } from '../central/fixtures/device-process.js';
import { launchChromium, watchedPage } from '../softap-browser/browser.js';
import type { WatchedPage } from '../softap-browser/browser.js';
import { logIn, startAppHost } from './app-host.js';
import { screenProblems } from './axe.js';
import { installBluetoothBridge } from './bridge.js';
import type { BridgeLog } from './bridge.js';
import { startDeviceChild } from './device-child.js';
import { installLabelCamera, installLabelDetector } from './label-camera.js';
import type { DeviceChild } from './device-child.js';
import { errorText } from '../../apps/web/app/texts.js';
import { MAX_LINK_ATTEMPTS } from '../../central/engine/index.js';

const DEVICE_ID = 'pi-web';
/** The device of the error cases. */
const ERRORS_ID = 'pi-web2';
const ERRORS_SERIAL = 'SN-WEB-2';
const NET = { ssid: 'home', passphrase: 'correct horse battery' };
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let fx: CentralFixture;
let air: AirServer;
let noble: Noble;
let device: DeviceChild;
let errorsDevice: DeviceChild;
let host: RunningWebHost;
let browser: Browser;
const setupCode = formatSetupCode(generateSetupCode(random));
const errorsCode = formatSetupCode(generateSetupCode(random));

function deviceSpec(deviceId: string, code: string, serial: string): DeviceSpec {
  return {
    air: air.spec,
    deviceId,
    setupCode: code,
    serial,
    stateDir: join(fx.dir, deviceId),
    caPem: fx.emulator.caPem,
    networks: [NET],
  };
}

beforeAll(async () => {
  fx = await startCentralFixture();
  air = await startAir({ tcp: { port: 0 } });
  noble = loadNoble(air.spec);
  [device, errorsDevice, host, browser] = await Promise.all([
    startDeviceChild(deviceSpec(DEVICE_ID, setupCode, 'SN-WEB-1')),
    startDeviceChild(deviceSpec(ERRORS_ID, errorsCode, ERRORS_SERIAL)),
    startAppHost(fx.emulator.cloudJson, fx.dir),
    launchChromium(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await device?.stop();
  await errorsDevice?.stop();
  await air?.close();
  await fx?.close();
}, 60_000);

function login(page: Page): Promise<void> {
  return logIn(page, {
    appUrl: host.url,
    issuer: fx.emulator.endpoints.oidcIssuer,
    username: fx.username,
    password: fx.password,
  });
}

describe('web app, whole flow over the Bluetooth bridge', () => {
  let wp: WatchedPage;
  it('logs in, finds the device, checks the setup code, shows its Wi-Fi and provisions it', async () => {
    wp = await watchedPage(browser);
    const log = await installBluetoothBridge(wp.context, noble, DEVICE_ID);
    const { page } = wp;
    await login(page);
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
    // This Chromium (Linux) has no BarcodeDetector: the code is typed, the camera is not offered.
    expect(await page.evaluate(() => 'BarcodeDetector' in window)).toBe(false);
    expect(await page.locator('#scan-label').isHidden()).toBe(true);

    await page.fill('#setup-code', setupCode.replace(/-/g, '').toLowerCase());
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel(/^home/).check();
    expect(await screenProblems(page)).toEqual([]);
    expect(log.subscribed.slice(0, 3)).toEqual(
      ['session', 'status', 'scan'].map((n) => CHARACTERISTICS[n as 'session'].uuid),
    );
    await page.fill('#password', NET.passphrase);
    await page.getByRole('button', { name: 'Provision the device' }).click();
    await page.locator('#done').waitFor({ timeout: 60_000 });
    expect(await screenProblems(page)).toEqual([]);

    const thingName = (await page.locator('#thing-name').textContent()) ?? '';
    expect(fx.emulator.registry.things.get(thingName)).toBeDefined();
    const status = (await page.locator('#status').textContent()) ?? '';
    expect(status).toMatch(/^Provisioned in \d+ ms\.$/);
    console.log(`web app figure: ${status} (connect to provisioned, measured in the page)`);
    // Every frame the page wrote fits ATT_MTU 23, as ble/web promises.
    expect(log.writes.every((w) => w.bytes.length <= 20)).toBe(true);
    // Within the device's write window (PROTOCOL.md §2.4): Write Commands, and the last frame a Write Request.
    expect(log.writes.some((w) => w.withoutResponse)).toBe(true);
    expect(log.writes.at(-1)?.withoutResponse).toBe(false);
    expect(wp.errors).toEqual([]);
    expect(await wp.cspViolations()).toEqual([]);
    await wp.close();
  }, 120_000);
});

/** Waits for the app's error box and checks it shows `code` with the advice the app gives for it. */
async function expectError(page: Page, code: string): Promise<string> {
  await page.locator('#error').waitFor({ state: 'visible', timeout: 60_000 });
  expect(await page.locator('#error-code').textContent()).toBe(code);
  expect(await page.locator('#error-advice').textContent()).toBe(errorText(code).advice);
  return (await page.locator('#error-message').textContent()) ?? '';
}

/** Find (the chooser picks the device), the setup code, then waits for the Wi-Fi form or an error. */
async function findAndConnect(page: Page, code: string): Promise<void> {
  await page.getByRole('button', { name: 'Find a device' }).click();
  await page.locator('#device').waitFor({ state: 'visible', timeout: 60_000 });
  expect(await page.locator('#device-id').textContent()).toBe(ERRORS_ID);
  await page.fill('#setup-code', code);
  await page.getByRole('button', { name: 'Connect' }).click();
}

async function provisionWith(page: Page, passphrase: string): Promise<void> {
  await page.getByLabel(/^home/).check();
  await page.fill('#password', passphrase);
  await page.getByRole('button', { name: 'Provision the device' }).click();
}

/** The things and certificates registered for the error cases' device: none until the last case, then one. */
function registered(): { things: string[]; principals: string[] } {
  const { things } = fx.emulator.registry;
  const mine = things
    .list()
    .map((t) => t.thingName)
    .filter((n) => n.endsWith(ERRORS_SERIAL));
  return { things: mine, principals: mine.flatMap((n) => things.listPrincipals(n)) };
}

/** Ends the login as an expired one would: the refresh token revoked at the provider, the ID token's time up. */
async function expireLogin(page: Page): Promise<void> {
  const tokens = JSON.parse((await page.evaluate(() => sessionStorage.getItem('tokens'))) ?? '{}') as {
    refreshToken?: string;
  };
  expect(tokens.refreshToken).toEqual(expect.any(String));
  const discovery = (await (
    await fetch(`${fx.emulator.endpoints.oidcIssuer}/.well-known/openid-configuration`)
  ).json()) as { revocation_endpoint: string };
  const revoked = await fetch(discovery.revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.refreshToken ?? '', client_id: WEB_CLIENT_ID }),
  });
  expect(revoked.ok).toBe(true);
  await page.evaluate(() => {
    const stored = JSON.parse(sessionStorage.getItem('tokens') ?? '{}') as Record<string, unknown>;
    sessionStorage.setItem('tokens', JSON.stringify({ ...stored, expiresAt: 0 }));
  });
}

describe('web app, the QR label when the camera cannot open, over the Bluetooth bridge', () => {
  it('no camera, then a denied one: CAMERA_UNAVAILABLE with its advice; the typed code still opens the session', async () => {
    const wp = await watchedPage(browser);
    await installBluetoothBridge(wp.context, noble, ERRORS_ID);
    // The detector only (./label-camera.ts): the app offers the scan, the browser's own getUserMedia answers.
    await installLabelDetector(wp.context, 'tup:1?n=unused');
    const { page } = wp;
    await login(page);
    await page.getByRole('button', { name: 'Find a device' }).click();
    await page.locator('#device').waitFor({ state: 'visible', timeout: 60_000 });
    const scanFails = async (detail: string): Promise<void> => {
      await page.getByRole('button', { name: 'Scan the QR label' }).click();
      expect(await expectError(page, 'CAMERA_UNAVAILABLE')).toBe(
        `${errorText('CAMERA_UNAVAILABLE').message}: ${detail}`,
      );
      // Nothing is left open: no camera view, no "Type the code instead", the code field as before.
      expect(await page.locator('#camera').isHidden()).toBe(true);
      expect(await page.locator('#stop-scan').isHidden()).toBe(true);
      expect(await page.locator('#setup-code').isEditable()).toBe(true);
    };
    // No machine here has a camera: Chromium's own getUserMedia refuses with NotFoundError.
    await scanFails('this phone or browser has no camera (NotFoundError)');
    expect(await screenProblems(page)).toEqual([]);
    // A camera denied by the person or the site settings: Chrome refuses with NotAllowedError. This
    // headless Chromium cannot be made to deny it for real (with a fake camera its media permission
    // answers NotSupportedError, granted or denied), so getUserMedia is replaced by one refusing so.
    await page.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await scanFails('the browser denied this site the camera (NotAllowedError)');
    expect(await page.evaluate(() => (window as unknown as { __labelFrames: () => number }).__labelFrames())).toBe(0);

    await page.fill('#setup-code', errorsCode);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel(/^home/).waitFor({ timeout: 60_000 });
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(wp.errors).toEqual([]);
    await wp.close();
  }, 120_000);
});

describe('web app, what goes wrong, over the Bluetooth bridge', () => {
  let wp: WatchedPage;
  let log: BridgeLog;
  let page: Page;

  beforeAll(async () => {
    wp = await watchedPage(browser);
    log = await installBluetoothBridge(wp.context, noble, ERRORS_ID);
    const label = encodeSetupPayload({
      deviceId: ERRORS_ID,
      setupCode: parseSetupCode(errorsCode),
      transports: ['ble'],
    });
    await installLabelCamera(wp.context, label);
    page = wp.page;
    await login(page);
  }, 60_000);

  afterAll(async () => {
    air.air.setFaults({});
    await wp?.close();
  });

  it('a wrong setup code: SESSION_AUTH_FAILED with its advice; the code read from the QR label then opens the session', async () => {
    await findAndConnect(page, formatSetupCode(generateSetupCode(random)));
    expect(await expectError(page, 'SESSION_AUTH_FAILED')).toContain(errorText('SESSION_AUTH_FAILED').message);
    expect(await page.locator('#wifi-form').isHidden()).toBe(true);
    // The camera stand-in and its detector (./label-camera.ts): the app offers the scan and reads the label.
    await page.getByRole('button', { name: 'Scan the QR label' }).click();
    await page.getByLabel(/^home/).waitFor();
    expect(await page.locator('#setup-code').inputValue()).toBe(errorsCode);
    expect(await page.evaluate(() => (window as unknown as { __labelFrames: () => number }).__labelFrames())).toBe(3);
    expect(await page.locator('#camera').isHidden()).toBe(true);
    expect(await page.locator('#error').isHidden()).toBe(true);
  }, 60_000);

  it('the device out of range: LINK_LOST after every reconnect failed, with its advice', async () => {
    const connects = log.connects.length;
    // Nothing hears the device any more: every connection attempt fails (HCI status 0x3E).
    air.air.setFaults({ refuseConnections: true });
    await provisionWith(page, NET.passphrase);
    expect(await expectError(page, 'LINK_LOST')).toContain('Connection attempt failed');
    air.air.setFaults({});
    expect(log.connects.length - connects).toBe(MAX_LINK_ATTEMPTS);
    expect(registered().things).toEqual([]);
  }, 60_000);

  it('an expired login: LOGIN_REQUIRED with its advice and the login screen; nothing sent to the device but Wi-Fi', async () => {
    const claimWrites = (): number => log.writes.filter((w) => w.uuid === CHARACTERISTICS.claim.uuid).length;
    const before = claimWrites();
    await expireLogin(page);
    await provisionWith(page, NET.passphrase);
    await expectError(page, 'LOGIN_REQUIRED');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('tokens'))).toBeNull();
    // No claim reached the device: the app writes nothing on `claim` when it has none.
    expect(claimWrites()).toBe(before);
    expect(registered().things).toEqual([]);
    // The browser's own console line for the refused refresh (HTTP 400 at the token endpoint); nothing else.
    expect(wp.errors.splice(0)).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    // The provider's session is still open: Log in comes straight back with a new code.
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Find a device' }).waitFor();
  }, 60_000);

  it('an expired claim (the device clock runs ahead): CLAIM_EXPIRED with its advice', async () => {
    await findAndConnect(page, errorsCode);
    await errorsDevice.setClockAhead(10 * 60_000);
    try {
      await provisionWith(page, NET.passphrase);
      await expectError(page, 'CLAIM_EXPIRED');
    } finally {
      await errorsDevice.setClockAhead(0);
    }
    expect(registered().things).toEqual([]);
  }, 60_000);

  it('a wrong Wi-Fi password, then the right one on the same session: provisioned once', async () => {
    const connects = log.connects.length;
    await provisionWith(page, 'not the password');
    expect(await expectError(page, 'WIFI_AUTH_FAILED')).toContain(errorText('WIFI_AUTH_FAILED').message);
    await page.getByRole('button', { name: 'Give up' }).waitFor();
    expect(await page.locator('#password').inputValue()).toBe('');
    await page.fill('#password', NET.passphrase);
    await page.getByRole('button', { name: 'Provision the device' }).click();
    await page.locator('#done').waitFor({ timeout: 60_000 });
    // One connection for the whole run, the retry included: the same session.
    expect(log.connects.length - connects).toBe(1);
    expect(await page.locator('#error').isHidden()).toBe(true);
    const thingName = (await page.locator('#thing-name').textContent()) ?? '';
    expect(registered()).toEqual({ things: [thingName], principals: [expect.stringMatching(/cert\/[0-9a-f]{64}$/)] });
    expect(wp.errors).toEqual([]);
    expect(await wp.cspViolations()).toEqual([]);
  }, 60_000);
});
