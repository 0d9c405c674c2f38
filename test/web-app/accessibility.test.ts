/**
 * The web app's screens that need no device, checked with axe-core and at phone size (390 × 844,
 * light and dark colour scheme, ./axe.ts): the login screen, and in a browser without Web
 * Bluetooth (headless Chromium without the experimental flag, as Safari or Firefox) the SoftAP
 * screen with BLE_UNAVAILABLE saying why, and again once a claim is fetched. The screens with a
 * device are checked where they are reached: the find and error screens in
 * bluetooth-emulation.test.ts, the Wi-Fi, progress and done screens in flow.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningWebHost } from '../../cloud/web-host/index.js';
import { startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import { launchChromium, watchedPage } from '../softap-browser/browser.js';
import { logIn, startAppHost } from './app-host.js';
import { screenProblems } from './axe.js';

let fx: CentralFixture;
let host: RunningWebHost;
let browser: Browser;

beforeAll(async () => {
  fx = await startCentralFixture();
  host = await startAppHost(fx.emulator.cloudJson, fx.dir);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await fx?.close();
}, 60_000);

/**
 * The claim-file links as laid out: the text of each line (a character's line is the top of its own
 * rectangle), and whether the link lies within the viewport's width.
 */
function linkLines(page: Page): Promise<Array<{ lines: string[]; inside: boolean }>> {
  return page.locator('#claim-files a').evaluateAll((links) =>
    links.map((a) => {
      const lines = new Map<number, string>();
      const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < (node.textContent ?? '').length; i++) {
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const top = Math.round(range.getBoundingClientRect().top);
          lines.set(top, (lines.get(top) ?? '') + (node.textContent ?? '')[i]);
        }
      }
      const box = a.getBoundingClientRect();
      return { lines: [...lines.values()], inside: box.left >= 0 && box.right <= window.innerWidth };
    }),
  );
}

describe('web app screens without a device: axe-core, 390 × 844', () => {
  it('login screen, SoftAP screen, claim files, logged out again: no violations', async () => {
    const wp = await watchedPage(browser);
    const { page } = wp;
    await page.goto(`${host.url}/`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await screenProblems(page)).toEqual([]);

    await logIn(page, {
      appUrl: host.url,
      issuer: fx.emulator.endpoints.oidcIssuer,
      username: fx.username,
      password: fx.password,
    });
    expect(await page.evaluate(() => 'bluetooth' in navigator)).toBe(false);
    await page.locator('#softap-screen').waitFor();
    // Why there is no Find: the error box, with its code, is part of this screen.
    expect(await page.locator('#error-code').textContent()).toBe('BLE_UNAVAILABLE');
    expect(await screenProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Get and save a claim' }).click();
    await page.getByRole('link', { name: 'Save claim.private.pem.key' }).waitFor();
    expect(await page.getByRole('link', { name: /^Save claim\./ }).count()).toBe(2);
    expect(await screenProblems(page)).toEqual([]);
    // A 360 px phone: each link whole on one line, within the screen.
    await page.setViewportSize({ width: 360, height: 740 });
    expect(await screenProblems(page)).toEqual([]);
    expect(await linkLines(page)).toEqual([
      { lines: ['Save claim.certificate.pem.crt'], inside: true },
      { lines: ['Save claim.private.pem.key'], inside: true },
    ]);
    // Narrower than any phone: the names wrap, only after a dot or the space (how many lines depends on the font).
    await page.setViewportSize({ width: 150, height: 740 });
    const narrow = await linkLines(page);
    expect(narrow.map((l) => l.lines.join(''))).toEqual([
      'Save claim.certificate.pem.crt',
      'Save claim.private.pem.key',
    ]);
    expect(narrow[0]!.lines.length).toBeGreaterThan(1);
    for (const { lines, inside } of narrow) {
      expect(
        lines.slice(0, -1).every((line) => /[. ]$/.test(line)),
        lines.join(' | '),
      ).toBe(true);
      expect(inside).toBe(true);
    }
    await page.setViewportSize({ width: 390, height: 844 });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await screenProblems(page)).toEqual([]);
    expect(wp.errors).toEqual([]);
    expect(await wp.cspViolations()).toEqual([]);
    await wp.close();
  }, 120_000);
});
