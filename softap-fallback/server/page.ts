/**
 * The upload page's static files, given by the page module as data (no directory is read per
 * request, so no client-chosen name ever reaches the file system). Until the page is built, a
 * placeholder says what is missing.
 */
import { HttpFailure } from './http-error.js';
import { MAX_PAGE_ASSET_BYTES } from './limits.js';

export interface PageFile {
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Keys are URL paths: `/` (or `/index.html`) for the page, `/assets/NAME` for the rest. */
export interface PageAssets {
  readonly files: ReadonlyMap<string, PageFile>;
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Device setup</title></head>
<body><h1>Device setup</h1><p>This device speaks the provisioning protocol over HTTP at <code>/api/v1</code>.
The upload page is not installed on this build.</p></body></html>
`;

const ASSET_PATH = /^\/assets\/[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

export class PageServer {
  private readonly files: ReadonlyMap<string, PageFile>;

  constructor(page: PageAssets | undefined) {
    const placeholder: PageFile = {
      contentType: 'text/html; charset=utf-8',
      body: new TextEncoder().encode(PLACEHOLDER),
    };
    const files = new Map<string, PageFile>(page?.files ?? []);
    for (const [path, file] of files) {
      if (path !== '/' && path !== '/index.html' && !ASSET_PATH.test(path))
        throw new HttpFailure(500, 'CONFIG_INVALID', `page file path ${path.slice(0, 40)}`);
      if (file.body.length > MAX_PAGE_ASSET_BYTES)
        throw new HttpFailure(500, 'CONFIG_INVALID', `page file ${path} over ${MAX_PAGE_ASSET_BYTES} bytes`);
    }
    if (!files.has('/')) files.set('/', files.get('/index.html') ?? placeholder);
    this.files = files;
  }

  /** The file for a request path, or undefined. Only exact keys match: no path arithmetic. */
  get(path: string): PageFile | undefined {
    if (path === '/' || path === '/index.html') return this.files.get('/');
    return ASSET_PATH.test(path) ? this.files.get(path) : undefined;
  }
}
