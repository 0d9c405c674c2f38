/**
 * connectHttp against a scripted fetch: the BLE event order it keeps (one frame per task, nothing
 * while a write is in flight, the drop after the frames), and HTTP errors as the product's codes.
 * The real server is exercised in test/softap-server/.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url } from './base64url.js';
import { connectHttp } from './http-link.js';
import { requestUrl } from '../../test/support/request-url.js';

interface Pending {
  url: string;
  method: string;
  resolve: (res: Response) => void;
}

/** A fetch whose answers the test gives, request by request. */
function scriptedFetch(): { fetch: typeof fetch; requests: Pending[]; next: (path: string) => Promise<Pending> } {
  const requests: Pending[] = [];
  const waiters: Array<() => void> = [];
  const fetchFn = ((input: URL | RequestInfo, init?: RequestInit) =>
    new Promise<Response>((resolve, reject) => {
      const url = requestUrl(input);
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      if (url.endsWith('/api/v1/connections') && init?.method === 'POST') {
        resolve(Response.json({ id: 'c1', attPayload: 512, longPollMs: 25_000 }, { status: 201 }));
        return;
      }
      if (init?.method === 'DELETE') {
        resolve(new Response(null, { status: 204 }));
        return;
      }
      requests.push({ url, method: init?.method ?? 'GET', resolve });
      for (const w of waiters.splice(0)) w();
    })) as typeof fetch;
  const next = async (path: string): Promise<Pending> => {
    for (;;) {
      const i = requests.findIndex((r) => r.url.includes(path));
      if (i >= 0) return requests.splice(i, 1)[0]!;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { fetch: fetchFn, requests, next };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('connectHttp', () => {
  it('delivers each notified frame in its own task, in order', async () => {
    const s = scriptedFetch();
    const link = await connectHttp('http://10.0.0.1', { fetch: s.fetch });
    const seen: string[] = [];
    link.onFrame('session', (f) => {
      seen.push(`session ${f[0]}`);
      void Promise.resolve().then(() => seen.push('microtask after session'));
    });
    link.onFrame('status', (f) => seen.push(`status ${f[0]}`));
    const poll = await s.next('/notifications?after=0');
    poll.resolve(
      Response.json({
        next: 2,
        items: [
          { channel: 'session', frame: toBase64Url(new Uint8Array([1])) },
          { channel: 'status', frame: toBase64Url(new Uint8Array([2])) },
        ],
      }),
    );
    await s.next('/notifications?after=2');
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['session 1', 'microtask after session', 'status 2']);
    await link.close();
  });

  it('holds notifications while a write is in flight, then delivers them', async () => {
    const s = scriptedFetch();
    const link = await connectHttp('http://10.0.0.1', { fetch: s.fetch });
    const seen: string[] = [];
    link.onFrame('status', () => seen.push('status'));
    const writing = link
      .write('control', new Uint8Array([0xc0, 0, 1, 0, 0, 0, 0, 9]))
      .then(() => seen.push('write acknowledged'));
    const post = await s.next('/frames/control');
    expect(post.method).toBe('POST');
    // The long-poll answer overtakes the POST's 204.
    (await s.next('/notifications?after=0')).resolve(
      Response.json({ next: 1, items: [{ channel: 'status', frame: 'AQ' }] }),
    );
    await s.next('/notifications?after=1');
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual([]);
    post.resolve(new Response(null, { status: 204 }));
    await writing;
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['write acknowledged', 'status']);
    await link.close();
  });

  it('reports a drop after the frames of the answer that closed the connection, and only once', async () => {
    const s = scriptedFetch();
    const link = await connectHttp('http://10.0.0.1', { fetch: s.fetch });
    const seen: string[] = [];
    link.onFrame('status', () => seen.push('status'));
    link.onDrop(() => seen.push('drop'));
    (await s.next('/notifications?after=0')).resolve(
      Response.json({ next: 1, items: [{ channel: 'status', frame: 'AQ' }], closed: { code: 'DEVICE_BUSY' } }),
    );
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['status', 'drop']);
    await expect(link.write('wifi', new Uint8Array([1]))).rejects.toMatchObject({ code: 'LINK_LOST' });
    expect(s.requests.filter((r) => r.url.includes('/notifications'))).toEqual([]);
    await link.close();
    expect(seen).toEqual(['status', 'drop']);
  });

  it('maps error documents to ProvisioningError codes; a 404 drops the link', async () => {
    const s = scriptedFetch();
    const link = await connectHttp('http://10.0.0.1', { fetch: s.fetch });
    let dropped = 0;
    link.onDrop(() => {
      dropped++;
    });
    const w1 = link.write('session', new Uint8Array([1]));
    (await s.next('/frames/session')).resolve(
      Response.json(
        { error: { code: 'RATE_LIMITED', message: 'x', detail: 'too many handshakes', retryAfterS: 3 } },
        { status: 429 },
      ),
    );
    await expect(w1).rejects.toMatchObject({ code: 'RATE_LIMITED', detail: 'too many handshakes' });
    const w2 = link.write('session', new Uint8Array([1]));
    (await s.next('/frames/session')).resolve(new Response('<html>', { status: 502 }));
    await expect(w2).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(dropped).toBe(0);
    const w3 = link.write('session', new Uint8Array([1]));
    (await s.next('/frames/session')).resolve(
      Response.json({ error: { code: 'LINK_LOST', message: 'x' } }, { status: 404 }),
    );
    await expect(w3).rejects.toMatchObject({ code: 'LINK_LOST' });
    for (let i = 0; i < 5; i++) await tick();
    expect(dropped).toBe(1);
    await link.close();
  });

  it("fails to connect with the device's code, or LINK_LOST when nothing answers", async () => {
    const busy: typeof fetch = () =>
      Promise.resolve(Response.json({ error: { code: 'DEVICE_BUSY', message: 'x' } }, { status: 503 }));
    await expect(connectHttp('http://10.0.0.1', { fetch: busy })).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    const down: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    const lost = await connectHttp('http://10.0.0.1', { fetch: down }).then(
      () => new Error('connected'),
      (e: unknown) => e as Error,
    );
    expect(lost).toMatchObject({ code: 'LINK_LOST' });
    // It speaks of the transport in use, not of Bluetooth.
    expect(lost.message).toContain('setup network');
    expect(lost.message).not.toMatch(/Bluetooth|BLE/);
  });
});
