import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTClient } from '@aws-sdk/client-iot';
import { startEmulator } from '../../cloud/emulator/index.js';
import { runSetup } from '../../cloud/setup/setup.js';
import { DEVICE_POLICY_NAME, PROVISIONING_ROLE_NAME } from '../../cloud/deploy/documents.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { loadCentralConfig } from '../../central/config/config.js';
import type { CentralConfig } from '../../central/config/config.js';
import { Auth } from '../../central/auth/auth.js';
import { TokenCache } from '../../central/auth/token-cache.js';
import { parseForm, TestBrowser } from '../../demo/browser.js';

export interface CentralFixture {
  dir: string;
  emulator: RunningEmulator;
  config: CentralConfig;
  username: string;
  password: string;
  /** A new Auth with its own token cache file under the temp dir. */
  auth(name: string, now?: () => number): Auth;
  close(): Promise<void>;
}

/**
 * The whole cloud emulator in-process on free loopback ports, set up as `npx tp-setup` does
 * (policy and template), and the central config read from its cloud.json.
 */
export async function startCentralFixture(): Promise<CentralFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'central-test-'));
  const emulator = await startEmulator({ dataDir: join(dir, 'cloud') });
  const admin = new IoTClient({
    region: emulator.region,
    endpoint: emulator.endpoints.iotControlPlane,
    credentials: { accessKeyId: emulator.admin.accessKeyId, secretAccessKey: emulator.admin.secretAccessKey },
  });
  try {
    await runSetup(admin, {
      region: emulator.region,
      accountId: emulator.accountId,
      policyName: DEVICE_POLICY_NAME,
      templateName: emulator.provisioningTemplateName,
      provisioningRoleArn: `arn:aws:iam::${emulator.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
    });
  } finally {
    admin.destroy();
  }
  const config = loadCentralConfig(emulator.cloudJsonPath);
  const demo = emulator.demoUser!;
  return {
    dir,
    emulator,
    config,
    username: demo.username,
    password: demo.password,
    auth: (name, now) =>
      new Auth({
        issuer: config.oidc.issuer,
        clientId: config.oidc.clientId,
        scope: config.oidc.scope,
        cache: new TokenCache(join(dir, 'tokens', `${name}.json`)),
        ...(now ? { now } : {}),
      }),
    close: async () => {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Plays the user's browser: opens the authorization URL, signs in on the provider's real login
 * page and follows the redirects, which end at the central's loopback server.
 */
export async function signInThroughPages(url: URL, username: string, password: string): Promise<void> {
  const browser = new TestBrowser();
  const page = await browser.get(url.href);
  if (page.status !== 200) throw new Error(`login page: HTTP ${page.status}`);
  const form = parseForm(page.html, page.url, '/login');
  const done = await browser.post(form.action, { ...form.fields, username, password });
  if (done.status !== 200 || !new URL(done.url).pathname.endsWith('/callback'))
    throw new Error(`login ended at ${done.url} (HTTP ${done.status})`);
}

/** Approves a device-grant user code on the provider's verification pages. */
export async function approveDeviceCode(
  verificationUriComplete: string,
  userCode: string,
  username: string,
  password: string,
): Promise<void> {
  const browser = new TestBrowser();
  const autoSubmit = await browser.get(verificationUriComplete);
  const autoForm = parseForm(autoSubmit.html, autoSubmit.url);
  const confirm = await browser.post(autoForm.action, autoForm.fields);
  if (!confirm.html.includes(userCode)) throw new Error('the confirmation page does not show the user code');
  const confirmForm = parseForm(confirm.html, confirm.url);
  const login = await browser.post(confirmForm.action, confirmForm.fields);
  const loginForm = parseForm(login.html, login.url, '/login');
  const success = await browser.post(loginForm.action, { ...loginForm.fields, username, password });
  if (!/Signed in/.test(success.html)) throw new Error(`device approval failed: HTTP ${success.status}`);
}
