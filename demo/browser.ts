/**
 * A minimal browser for driving the provider's real pages over HTTP: a cookie jar, manual
 * redirects (so a caller sees each hop and can stop at the loopback redirect URI) and form parsing.
 * The demo signs its user in with it (demo/login.ts); tests use it too (as `TestBrowser`).
 */

export interface BrowserResponse {
  url: string;
  status: number;
  html: string;
}

export interface ParsedForm {
  action: string;
  fields: Record<string, string>;
}

/** Redirects followed before giving up (a loop is a bug). */
const MAX_REDIRECTS = 20;

export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  /** GETs `url`, following redirects; stops before fetching any URL for which `stopAt` is true. */
  async get(url: string, stopAt: (url: URL) => boolean = () => false): Promise<BrowserResponse> {
    return this.follow(url, { method: 'GET' }, stopAt);
  }

  async post(
    url: string,
    fields: Record<string, string>,
    stopAt: (url: URL) => boolean = () => false,
    extraHeaders: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    return this.follow(
      url,
      {
        method: 'POST',
        body: new URLSearchParams(fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders },
      },
      stopAt,
    );
  }

  private async follow(
    start: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
    stopAt: (url: URL) => boolean,
  ): Promise<BrowserResponse> {
    let url = start;
    let request = init;
    for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
      const res = await fetch(url, {
        method: request.method,
        redirect: 'manual',
        headers: { ...(request.headers ?? {}), cookie: this.cookieHeader() },
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      this.store(res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        const next = new URL(location, url);
        if (stopAt(next)) return { url: next.href, status: res.status, html: '' };
        url = next.href;
        request = { method: 'GET' };
        continue;
      }
      return { url, status: res.status, html: await res.text() };
    }
    throw new Error('too many redirects');
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** The first form on the page whose action contains `actionIncludes` (or the first form). */
export function parseForm(html: string, baseUrl: string, actionIncludes = ''): ParsedForm {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  for (const [, attrs = '', inner = ''] of forms) {
    const action = decode(/action="([^"]*)"/i.exec(attrs)?.[1] ?? '');
    if (!action.includes(actionIncludes)) continue;
    const fields: Record<string, string> = {};
    for (const [input] of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(input)?.[1];
      if (!name) continue;
      fields[decode(name)] = decode(/value="([^"]*)"/i.exec(input)?.[1] ?? '');
    }
    return { action: new URL(action, baseUrl).href, fields };
  }
  throw new Error(`no form with action containing "${actionIncludes}" in page`);
}

function decode(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The name the tests know it by. */
export { FormBrowser as TestBrowser };
