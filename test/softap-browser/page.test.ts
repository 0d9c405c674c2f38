/**
 * The SoftAP upload page in a real browser (headless Chromium via playwright-core: Debian's, else npm's, see `chromium.ts`),
 * loaded from the device's real SoftAP server, which feeds a real provisioning agent with simulated
 * Wi-Fi, against the cloud emulator. The claim is a real CreateProvisioningClaim, uploaded as files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedWifi } from '../../peripheral/wifi/simulated.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import { startSoftApServer } from '../../softap-fallback/server/index.js';
import type { SoftApServer } from '../../softap-fallback/server/index.js';
import { buildPage } from '../../softap-fallback/web/build.js';
import { startTestCloud } from '../device/cloud.js';
import type { TestCloud } from '../device/cloud.js';
import { makeDevice } from '../device/harness.js';
import type { DeviceUnderTest } from '../device/harness.js';
import { launchChromium, watchedPage } from './browser.js';
import type { WatchedPage } from './browser.js';

const DEVICE_ID = 'pi-web01';
const SERIAL = 'SN-WEB';
const HOME = { ssid: 'home', passphrase: 'correct horse battery' };
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let cloud: TestCloud;
let dir: string;
let device: DeviceUnderTest;
let server: SoftApServer;
let browser: Browser;
let setupCode: string;
let files: { cert: string; key: string; notPem: string; tooLarge: string };
let keyPem: string;
let watched: WatchedPage | undefined;

beforeAll(async () => {
  const [startedCloud, page, startedBrowser] = await Promise.all([startTestCloud(), buildPage(), launchChromium()]);
  cloud = startedCloud;
  browser = startedBrowser;
  dir = await mkdtemp(join(tmpdir(), 'softap-browser-'));
  const wifi = new SimulatedWifi({
    networks: [
      { ...HOME, rssi: -45, channel: 6 },
      { ssid: 'neighbours', passphrase: 'not ours at all', rssi: -82, channel: 11 },
    ],
    joinDelayMs: 0,
    scanDelayMs: 0,
  });
  device = makeDevice({
    stateDir: join(dir, 'device'),
    wifi: wifi,
    caPem: cloud.emu.caPem,
    serial: SERIAL,
  });
  await device.agent.start();
  const code = generateSetupCode(random);
  setupCode = formatSetupCode(code);
  server = await startSoftApServer({
    agent: device.agent,
    deviceId: DEVICE_ID,
    verifier: makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS }),
    attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
    random,
    listen: { host: '127.0.0.1', port: 0 },
    claimDefaults: {
      host: cloud.emu.endpoints.mqttHost,
      port: cloud.emu.endpoints.mqttPort,
      templateName: cloud.emu.provisioningTemplateName,
      parameters: { DeviceLocation: 'Kitchen' },
    },
    page,
    log: (l) => device.log.push(l),
  });
  // A real claim from the emulator's control plane, saved as the files the person downloaded.
  const claim = await cloud.claim();
  files = {
    cert: join(dir, 'claim-certificate.pem.crt'),
    key: join(dir, 'claim-private.pem.key'),
    notPem: join(dir, 'photo.jpg'),
    tooLarge: join(dir, 'big.pem'),
  };
  await writeFile(files.cert, claim.certificatePem);
  await writeFile(files.key, claim.privateKeyPem);
  keyPem = claim.privateKeyPem;
  await writeFile(files.notPem, randomBytes(3000));
  await writeFile(
    files.tooLarge,
    `-----BEGIN CERTIFICATE-----\n${'QUFB'.repeat(16 * 1024)}\n-----END CERTIFICATE-----\n`,
  );
}, 60_000);

afterEach(async () => {
  await watched?.close();
  watched = undefined;
});

afterAll(async () => {
  if (process.env.DEVICE_DEBUG) console.log(device?.log.join('\n'));
  await browser?.close();
  await server?.close();
  await cloud?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens the page and checks, at the end, what every page visit must satisfy. */
async function openPage(): Promise<WatchedPage> {
  watched = await watchedPage(browser);
  await watched.page.goto(`${server.url}/`);
  // Pre-filled from GET /api/v1/claim-defaults.
  await expect.poll(() => watched!.page.locator('#host').inputValue()).toBe(cloud.emu.endpoints.mqttHost);
  return watched;
}

async function expectCleanVisit(w: WatchedPage): Promise<void> {
  expect(w.errors).toEqual([]);
  expect(await w.cspViolations()).toEqual([]);
  const origin = new URL(server.url).origin;
  for (const r of w.requests) expect(new URL(r.split(' ')[1]!).origin).toBe(origin);
}

const posts = (w: WatchedPage, channel: string): string[] =>
  w.requests.filter((r) => r.startsWith('POST ') && r.endsWith(`/frames/${channel}`));

async function connectWithCode(w: WatchedPage, code: string): Promise<void> {
  await w.page.getByLabel("Setup code from the device's label").fill(code);
  await w.page.getByRole('button', { name: 'Connect' }).click();
}

/** Waits for step 2; on failure says what the page showed instead. */
async function setupFormShown(w: WatchedPage): Promise<void> {
  try {
    await w.page.locator('#setup-form').waitFor({ state: 'visible', timeout: 20_000 });
  } catch (err) {
    const shown = await w.page
      .locator('main')
      .innerText()
      .catch(() => '?');
    throw new Error(
      `the network step did not appear; the page shows:\n${shown}\nconsole errors: ${w.errors.join(' | ')}`,
      { cause: err },
    );
  }
}

async function errorShown(w: WatchedPage): Promise<{ code: string; message: string; advice: string }> {
  const box = w.page.locator('#error');
  await box.waitFor({ state: 'visible', timeout: 20_000 });
  return {
    code: await w.page.locator('#error-code').innerText(),
    message: await w.page.locator('#error-message').innerText(),
    advice: await w.page.locator('#error-advice').innerText(),
  };
}

describe('the SoftAP upload page in Chromium', () => {
  it('catches a mistyped setup code in the page, and shows SESSION_AUTH_FAILED for a wrong one', async () => {
    const w = await openPage();
    // One symbol changed: the check symbol catches it before any request.
    const typo = setupCode.replace(/^./, (c) => (c === '7' ? '8' : '7'));
    await connectWithCode(w, typo);
    expect(await errorShown(w)).toMatchObject({ code: 'SESSION_SETUP_CODE_INVALID' });
    expect(w.requests.filter((r) => r.includes('/connections'))).toEqual([]);

    // A well-formed code that is not this device's: the handshake fails on the device.
    let wrong = formatSetupCode(generateSetupCode(random));
    while (wrong === setupCode) wrong = formatSetupCode(generateSetupCode(random));
    await connectWithCode(w, wrong);
    await expect.poll(() => w.page.locator('#error-code').innerText(), { timeout: 20_000 }).toBe('SESSION_AUTH_FAILED');
    const shown = await errorShown(w);
    expect(shown.message).toContain('check the setup code');
    expect(shown.advice).toContain('setup code');
    expect(await w.page.locator('#setup-code').getAttribute('aria-invalid')).toBeNull();
    expect(await w.page.locator('#setup-form').isHidden()).toBe(true);
    expect(device.agent.state).toBe('idle');
    await expectCleanVisit(w);
  }, 30_000);

  it('refuses a non-PEM file, a too-large file and a swapped key before anything is sent', async () => {
    const w = await openPage();
    await connectWithCode(w, setupCode);
    await setupFormShown(w);
    await w.page.getByLabel(/^home/).check();
    await w.page.getByLabel('Wi-Fi password').fill(HOME.passphrase);
    const submit = async (cert: string, key: string): Promise<{ code: string; message: string }> => {
      await w.page.getByLabel(/^Claim certificate \(…/).setInputFiles(cert);
      await w.page.getByLabel(/^Private key \(…/).setInputFiles(key);
      await w.page.getByRole('button', { name: 'Set up the device' }).click();
      await w.page.locator('#error').waitFor({ state: 'visible' });
      const shown = await errorShown(w);
      await w.page.locator('#error').evaluate((e) => {
        (e as HTMLElement).hidden = true;
      });
      return shown;
    };
    const notPem = await submit(files.notPem, files.key);
    expect(notPem).toMatchObject({ code: 'CLAIM_INVALID' });
    expect(notPem.message).toContain('not a PEM file');
    const tooLarge = await submit(files.tooLarge, files.key);
    expect(tooLarge).toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    expect(tooLarge.message).toContain('4096 bytes');
    const swapped = await submit(files.key, files.cert);
    expect(swapped).toMatchObject({ code: 'CLAIM_INVALID' });
    expect(swapped.message).toContain('private key, not a certificate');
    expect(await w.page.locator('#cert-file').getAttribute('aria-invalid')).toBe('true');
    // Pasted instead of picked: the same checks.
    await w.page.getByLabel(/^Claim certificate \(…/).setInputFiles([]);
    await w.page.getByText('Paste them instead').click();
    await w.page.getByLabel('Claim certificate (PEM)').fill(keyPem);
    await w.page.getByRole('button', { name: 'Set up the device' }).click();
    expect((await errorShown(w)).message).toContain('private key, not a certificate');

    // Nothing left the phone after the scan session, and the device is as it was.
    expect(posts(w, 'wifi')).toEqual([]);
    expect(posts(w, 'claim')).toEqual([]);
    expect(device.agent.state).toBe('idle');
    expect(device.agent.busy).toBe(false);
    expect(await readdir(join(dir, 'device', 'credentials')).catch(() => [])).toEqual([]);
    await expectCleanVisit(w);
  }, 30_000);

  it('provisions the device: setup code, scanned network, password (a wrong one first), claim files, then "provisioned" with the thing name', async () => {
    const w = await openPage();
    await connectWithCode(w, setupCode.toLowerCase().replace(/-/g, ' '));
    await setupFormShown(w);
    // The scan, strongest first.
    expect(await w.page.locator('#networks label').allInnerTexts()).toEqual([
      expect.stringMatching(/^home · strong signal · WPA2/),
      expect.stringMatching(/^neighbours · weak signal · WPA2/),
    ]);
    await w.page.getByLabel(/^home/).check();
    await w.page.getByLabel('Wi-Fi password').fill('not the password');
    await w.page.getByLabel(/^Claim certificate \(…/).setInputFiles(files.cert);
    await w.page.getByLabel(/^Private key \(…/).setInputFiles(files.key);
    // Checked as soon as they are picked: the expiry comes from the certificate's notAfter.
    await expect
      .poll(() => w.page.locator('#cert-hint').innerText())
      .toMatch(/^Claim certificate valid until .+ \([0-5] min left\)\.$/);
    await expect.poll(() => w.page.locator('#key-hint').innerText()).toBe('Private key: looks right.');
    expect(await w.page.locator('#template').inputValue()).toBe(cloud.emu.provisioningTemplateName);
    expect(await w.page.locator('#parameters').inputValue()).toBe('DeviceLocation=Kitchen');

    // A wrong Wi-Fi password: the device reports it, and the person fixes it on the same page.
    await w.page.getByRole('button', { name: 'Set up the device' }).click();
    await expect.poll(() => w.page.locator('#error-code').innerText(), { timeout: 30_000 }).toBe('WIFI_AUTH_FAILED');
    expect((await errorShown(w)).advice).toContain('Wi-Fi password was rejected');
    expect(['idle', 'failed']).toContain(device.agent.state);
    await w.page.getByLabel('Wi-Fi password').fill(HOME.passphrase);

    const started = performance.now();
    await w.page.getByRole('button', { name: 'Set up the device' }).click();
    await w.page.locator('#done').waitFor({ state: 'visible', timeout: 45_000 });
    const elapsedMs = performance.now() - started;
    const thing = await w.page.locator('#thing-name').innerText();
    expect(thing).toBe(`mything_${SERIAL}`);
    expect(await w.page.locator('#status').innerText()).toBe(`Provisioned: ${thing}`);
    expect(await w.page.locator('#error').isHidden()).toBe(true);
    expect(await w.page.locator('#steps li').allInnerTexts()).toEqual(
      expect.arrayContaining(['Joining your Wi-Fi network…', 'Registering the device as a thing…', 'Provisioned']),
    );
    expect(device.agent.state).toBe('provisioned');
    // The secrets crossed the network only inside sealed frames: no body holds them in clear.
    expect(posts(w, 'wifi').length).toBeGreaterThan(0);
    expect(posts(w, 'claim').length).toBeGreaterThan(0);
    const secrets = [HOME.passphrase, keyPem.split('\n')[1]!.slice(0, 32)].map((t) => Buffer.from(t));
    expect(w.bodies.length).toBeGreaterThan(5);
    for (const body of w.bodies) for (const secret of secrets) expect(Buffer.from(body).includes(secret)).toBe(false);
    await expectCleanVisit(w);
    console.log(`softap page: submit → provisioned in ${elapsedMs.toFixed(0)} ms`);
  }, 60_000);
});
