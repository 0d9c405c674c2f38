/**
 * The shipped web app as `npx tp-cloud` serves it, for the browser tests: built by apps/web/build.ts
 * into a folder, served by cloud/web-host with the config.json made from the emulator's cloud.json;
 * and logging in on the emulator's real OIDC pages (code + PKCE), as a person does.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildWebApp, writeWebApp } from '../../apps/web/build.js';
import { WEB_CLIENT_ID } from '../../cloud/emulator/config/schema.js';
import type { CloudJson } from '../../cloud/emulator/index.js';
import { startWebHost, webAppConfig } from '../../cloud/web-host/index.js';
import type { RunningWebHost } from '../../cloud/web-host/index.js';

/** Builds the app into `dir`/web-app and serves it on a free port of http://localhost. */
export async function startAppHost(cloudJson: CloudJson, dir: string): Promise<RunningWebHost> {
  const appDir = join(dir, 'web-app');
  await writeWebApp(await buildWebApp(), appDir);
  return startWebHost({ dir: appDir, ...webAppConfig(cloudJson, WEB_CLIENT_ID), port: 0 });
}

export interface Login {
  readonly appUrl: string;
  readonly issuer: string;
  readonly username: string;
  readonly password: string;
}

/** Opens the app, logs in on the provider's pages and waits for the app to say who is logged in. */
export async function logIn(page: Page, login: Login): Promise<void> {
  await page.goto(`${login.appUrl}/`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.href.startsWith(login.issuer));
  await page.fill('#username', login.username);
  await page.fill('#password', login.password);
  await page.press('#password', 'Enter');
  await page.waitForURL((u) => u.href.startsWith(login.appUrl));
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}
