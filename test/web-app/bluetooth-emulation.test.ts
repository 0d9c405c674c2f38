/**
 * The web app's Web Bluetooth surface through Chromium's OWN emulation (./bluetooth-emulation.ts:
 * the DevTools `BluetoothEmulation` and `DeviceAccess` domains), no bridge: the shipped bundle, in
 * headless Chromium with Web Bluetooth switched on, uses the browser's real `navigator.bluetooth`.
 * The simulated device answers `info` with the bytes of the handshake vector
 * (protocol/session/vectors/handshake.json) and the person types that vector's setup code, so the
 * hello the app writes to `session` is the vector's first message, framed at ATT payload 20.
 * Chromium's emulation cannot notify the page, so the handshake stops there: the device then goes
 * out of range and the app must say so with its code. Then what the browser cannot offer: an
 * empty chooser closed (DEVICE_NOT_FOUND), no usable adapter (BLE_UNAVAILABLE, told apart by
 * getAvailability()), and no navigator.bluetooth at all (the SoftAP screen with BLE_UNAVAILABLE).
 * The find screen, the device with the code form, and the errors are checked with axe-core at
 * 390 × 844 (./axe.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startEmulator } from '../../cloud/emulator/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import type { RunningWebHost } from '../../cloud/web-host/index.js';
import { fragment } from '../../protocol/framing.js';
import vector from '../../protocol/session/vectors/handshake.json' with { type: 'json' };
import { launchChromium, watchedPage } from '../softap-browser/browser.js';
import { logIn, startAppHost } from './app-host.js';
import { screenProblems } from './axe.js';
import { emulateAdapter, emulateDevice, emulateEmptyRadio } from './bluetooth-emulation.js';
import { errorText } from '../../apps/web/app/texts.js';
import { textMatching } from '../matchers.js';

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ADDRESS = '09:09:09:09:09:01';
/** The vector's first message: the phone's hello (version and the context digest over the info bytes). */
const HELLO = vector.messages[0]!;

let dir: string;
let emulator: RunningEmulator;
let host: RunningWebHost;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'web-bluetooth-emulation-'));
  emulator = await startEmulator({ dataDir: join(dir, 'cloud') });
  host = await startAppHost(emulator.cloudJson, dir);
  browser = await launchChromium(['--enable-experimental-web-platform-features']);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function logInAsDemo(page: Page): Promise<void> {
  const demo = emulator.demoUser!;
  return logIn(page, {
    appUrl: host.url,
    issuer: emulator.endpoints.oidcIssuer,
    username: demo.username,
    password: demo.password,
  });
}

/** The error box once shown: its code, message and advice as the person reads them. */
async function shownError(page: Page): Promise<Record<'code' | 'message' | 'advice', string | null>> {
  await page.locator('#error').waitFor({ state: 'visible' });
  const [code, message, advice] = await Promise.all(
    ['#error-code', '#error-message', '#error-advice'].map((id) => page.locator(id).textContent()),
  );
  return { code: code ?? null, message: message ?? null, advice: advice ?? null };
}

/** After a find that failed: no device shown, Find offered again, and the screen passes axe. */
async function expectFindAgain(page: Page): Promise<void> {
  expect(await page.locator('#device').isHidden()).toBe(true);
  expect(await page.getByRole('button', { name: 'Find a device' }).isEnabled()).toBe(true);
  expect(await screenProblems(page)).toEqual([]);
}

describe("web app on Chromium's Bluetooth emulation", () => {
  it('chooses the advertised device, reads info, subscribes, writes the framed hello of the vector', async () => {
    expect(HELLO.from).toBe('phone');
    const wp = await watchedPage(browser);
    const { page } = wp;
    await logInAsDemo(page);
    expect(await page.evaluate(() => window.isSecureContext && typeof navigator.bluetooth)).toBe('object');
    const device = await emulateDevice(browser, page, {
      address: ADDRESS,
      name: vector.deviceId,
      reads: { info: fromHex(vector.info) },
    });
    console.log(
      `web bluetooth emulation: ${device.version.product}, DevTools protocol ${device.version.protocolVersion}`,
    );

    expect(await screenProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Find a device' }).click();
    await page.locator('#device').waitFor({ state: 'visible' });
    // The chooser listed only the device with the provisioning service: the app's filter matched it
    // and left out the other device in range.
    const listed = new Set(device.prompts.flat().map((d) => d.id));
    expect([...listed]).toEqual([ADDRESS]);
    expect(await page.locator('#device-id').textContent()).toBe(vector.deviceId);
    expect(await page.locator('#device-state').textContent()).toBe('ready to be set up');
    expect(device.gatt.slice(0, 2)).toEqual(['connection', 'discovery']);
    expect(device.operations.map((o) => `${o.type} ${o.name}`)).toEqual([
      'subscribe-to-notifications session',
      'subscribe-to-notifications status',
      'subscribe-to-notifications scan',
      'read info',
    ]);

    expect(await screenProblems(page)).toEqual([]);
    await page.fill('#setup-code', vector.setupCode);
    await page.getByRole('button', { name: 'Connect' }).click();
    const expected = fragment(fromHex(HELLO.hex), 20, 0);
    const written = await device.writes('session', expected.length);
    expect(written.map(toHex)).toEqual(expected.map(toHex));
    // The frames carry exactly the vector's hello (headers aside: 7 bytes on the first, 1 after).
    expect(toHex(Buffer.concat(written.map((f, i) => f.subarray(i === 0 ? 7 : 1))))).toBe(HELLO.hex);
    expect(device.operations.filter((o) => o.type === 'write').map((o) => `${o.name} ${o.writeType}`)).toEqual(
      expected.map(() => 'session write-with-response'),
    );
    // The app read info again for the session (its bytes are in the hello's context digest).
    expect(device.operations.filter((o) => o.type === 'read').map((o) => o.name)).toEqual(['info', 'info']);

    // No device answer can come through this emulation: the device goes out of range instead.
    await device.disconnect();
    await page.locator('#error').waitFor({ state: 'visible' });
    expect(await page.locator('#error-code').textContent()).toBe('LINK_LOST');
    expect(await page.locator('#error-advice').textContent()).not.toBe('');
    expect(await screenProblems(page)).toEqual([]);
    expect(device.failures).toEqual([]);
    expect(wp.errors).toEqual([]);
    expect(await wp.cspViolations()).toEqual([]);
    await device.close();
    await wp.close();
  }, 120_000);

  it('an empty chooser closed by the person: DEVICE_NOT_FOUND with its advice, Find offered again', async () => {
    const wp = await watchedPage(browser);
    const { page } = wp;
    await logInAsDemo(page);
    const radio = await emulateEmptyRadio(browser, page);
    await page.getByRole('button', { name: 'Find a device' }).click();
    const shown = await shownError(page);
    expect(radio.prompts).toContainEqual([]);
    expect(radio.prompts.flat()).toEqual([]);
    expect(shown).toEqual({
      code: 'DEVICE_NOT_FOUND',
      // The detail quotes the browser's own words (Chromium 153: "User cancelled the requestDevice() chooser.").
      message: textMatching(new RegExp(`^${errorText('DEVICE_NOT_FOUND').message}: no device was chosen \\(.*cancel`)),
      advice: errorText('DEVICE_NOT_FOUND').advice,
    });
    await expectFindAgain(page);
    expect(radio.failures).toEqual([]);
    expect(wp.errors).toEqual([]);
    await radio.close();
    await wp.close();
  }, 120_000);

  it('no Bluetooth adapter (headless default, then an emulated absent one): BLE_UNAVAILABLE with its advice', async () => {
    const wp = await watchedPage(browser);
    const { page } = wp;
    await logInAsDemo(page);
    const unavailable = {
      code: 'BLE_UNAVAILABLE',
      message: textMatching(
        new RegExp(
          `^${errorText('BLE_UNAVAILABLE').message}: the browser has no Bluetooth adapter it can use \\(.*not available`,
        ),
      ),
      advice: errorText('BLE_UNAVAILABLE').advice,
    };
    // Nothing emulated: headless Chromium has no adapter it can use. requestDevice says NotFoundError
    // ("Bluetooth Low Energy not available."), the same name as a closed chooser.
    expect(await page.evaluate(() => navigator.bluetooth?.getAvailability?.())).toBe(false);
    await page.getByRole('button', { name: 'Find a device' }).click();
    expect(await shownError(page)).toEqual(unavailable);
    await expectFindAgain(page);

    // A computer without Bluetooth ("Bluetooth adapter not available."): the same.
    const adapter = await emulateAdapter(browser, page, 'absent');
    // The code is cleared first, so that its coming back is this attempt's answer, not the last one's.
    await page.locator('#error-code').evaluate((code) => (code.textContent = ''));
    await page.getByRole('button', { name: 'Find a device' }).click();
    await page.locator('#error-code', { hasText: 'BLE_UNAVAILABLE' }).waitFor();
    expect(await shownError(page)).toEqual(unavailable);
    expect(wp.errors).toEqual([]);
    await adapter.close();
    await wp.close();
  }, 120_000);

  it('a browser without navigator.bluetooth: the SoftAP screen with BLE_UNAVAILABLE saying why', async () => {
    const wp = await watchedPage(browser);
    const { page } = wp;
    // As Firefox or Safari, or an insecure page: this Chromium's Web Bluetooth taken away before the app runs.
    await wp.context.addInitScript(() => {
      delete (Navigator.prototype as { bluetooth?: unknown }).bluetooth;
    });
    await logInAsDemo(page);
    expect(await page.evaluate(() => 'bluetooth' in navigator)).toBe(false);
    await page.locator('#softap-screen').waitFor();
    expect(await page.locator('#find-screen').isHidden()).toBe(true);
    expect(await shownError(page)).toEqual(
      errorText('BLE_UNAVAILABLE', 'Web Bluetooth is not offered by this browser (no navigator.bluetooth)'),
    );
    expect(await screenProblems(page)).toEqual([]);
    expect(wp.errors).toEqual([]);
    await wp.close();
  }, 120_000);
});
