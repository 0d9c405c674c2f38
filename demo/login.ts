/**
 * Plays the demo user's browser: opens the authorization URL, signs in on the provider's real
 * login page and follows the redirects to the central's loopback server.
 */
import { FormBrowser, parseForm } from './browser.js';

export async function signInThroughPages(url: URL, username: string, password: string): Promise<void> {
  const browser = new FormBrowser();
  const page = await browser.get(url.href);
  if (page.status !== 200) throw new Error(`login page: HTTP ${page.status}`);
  const form = parseForm(page.html, page.url, '/login');
  const done = await browser.post(form.action, { ...form.fields, username, password });
  if (done.status !== 200 || !new URL(done.url).pathname.endsWith('/callback'))
    throw new Error(`login ended at ${done.url} (HTTP ${done.status})`);
}
