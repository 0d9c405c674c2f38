import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPage } from './build.js';
import { loadPrebuiltPage, writePage } from './prebuilt.js';

const text = (body: Uint8Array): string => new TextDecoder().decode(body);

describe('buildPage', () => {
  it('builds the page in memory: HTML at /, script, style and icon under /assets/', async () => {
    const page = await buildPage();
    expect([...page.files.keys()].sort()).toEqual(['/', '/assets/app.css', '/assets/app.js', '/assets/icon.svg']);
    expect(page.files.get('/')!.contentType).toBe('text/html; charset=utf-8');
    expect(page.files.get('/assets/app.js')!.contentType).toBe('text/javascript; charset=utf-8');
    const html = text(page.files.get('/')!.body);
    // CSP default-src 'self': no inline script or style, no inline handlers, nothing from elsewhere.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/<style|\sstyle=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(page.files.has(m[1]!)).toBe(true);
  });

  it('bundles the protocol without eval (cbor-x probe patched) and minified', async () => {
    const script = text((await buildPage()).files.get('/assets/app.js')!.body);
    expect(script).not.toMatch(/new Function\(|\beval\(/);
    // The only address in it is the advice to open http://10.0.0.1; nothing is fetched from elsewhere.
    expect(script.match(/https?:\/\/[^"'`\s)]*/g) ?? []).toEqual(['http://10.0.0.1']);
    // Minified: a handful of lines, not the sources.
    expect(script.split('\n').length).toBeLessThan(20);
    expect(script).toContain('SESSION_AUTH_FAILED');
  });

  it('round-trips through a prebuilt directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'softap-page-'));
    try {
      const page = await buildPage();
      await writePage(page, dir);
      expect((await readdir(dir)).sort()).toEqual(['assets', 'index.html']);
      expect(await loadPrebuiltPage(dir)).toEqual(page);
      await rm(join(dir, 'assets', 'app.js'));
      await expect(loadPrebuiltPage(dir)).rejects.toThrow(/app\.js/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
