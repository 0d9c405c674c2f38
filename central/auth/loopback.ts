import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProvisioningError } from '../../protocol/index.js';

/** The path of the loopback redirect URI (registered as http://127.0.0.1/callback, any port: RFC 8252 §7.3). */
export const CALLBACK_PATH = '/callback';

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Signed in</title>' +
  '<p style="font-family:system-ui,sans-serif">The sign-in reached the provisioning app. You can close this window and return to the terminal.</p>';

export interface LoopbackReceiver {
  /** e.g. http://127.0.0.1:53412/callback */
  redirectUri: string;
  /** The callback URL the browser was sent to (with code/state or error). */
  callback: Promise<URL>;
  close(): Promise<void>;
}

/**
 * A temporary HTTP server on 127.0.0.1, a free port, that waits for the provider's redirect.
 * Other paths get 404; the first request to the callback path settles `callback`. `signal` aborts
 * the wait (LOGIN_FAILED).
 */
export async function startLoopbackReceiver(signal?: AbortSignal): Promise<LoopbackReceiver> {
  let settle: { resolve(url: URL): void; reject(err: unknown): void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => {
    settle = { resolve, reject };
  });
  callback.catch(() => undefined); // the caller may stop listening first
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' })
      .end(DONE_PAGE);
    settle?.resolve(url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const onAbort = (): void =>
    settle?.reject(new ProvisioningError('LOGIN_FAILED', { detail: 'the browser sign-in was cancelled or timed out' }));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const port = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    callback,
    close: () =>
      new Promise<void>((resolve) => {
        signal?.removeEventListener('abort', onAbort);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
