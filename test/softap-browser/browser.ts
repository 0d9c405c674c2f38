/**
 * A headless Chromium (Debian's, or the one npm installed: `./chromium.ts`) driven by playwright-core, plus what every page test checks: console
 * errors, uncaught page errors, CSP violations and every request URL (nothing may leave the device).
 */
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findChromium } from './chromium.js';

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
];

/** `extraArgs`: e.g. `--enable-experimental-web-platform-features` (Web Bluetooth on Linux). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { executablePath } = await findChromium();
  return chromium.launch({ executablePath, args: [...ARGS, ...extraArgs] });
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console messages of type error, and uncaught exceptions. */
  readonly errors: string[];
  /** securitypolicyviolation events (directive and blocked URI). */
  cspViolations(): Promise<string[]>;
  /** `METHOD URL` of every request the page made. */
  readonly requests: string[];
  /** The body of every request that had one. */
  readonly bodies: Uint8Array[];
  close(): Promise<void>;
}

/** A fresh context (no shared cache or storage) with everything recorded. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  // Playwright injects init scripts over CDP, outside the page's CSP.
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const bodies: Uint8Array[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    requests.push(`${r.method()} ${r.url()}`);
    const body = r.postDataBuffer();
    if (body) bodies.push(new Uint8Array(body));
  });
  return {
    page,
    context,
    errors,
    requests,
    bodies,
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    close: () => context.close(),
  };
}
