/**
 * The SoftAP HTTP API over real HTTP on 127.0.0.1: the hardening of issue #9 (limits, content
 * type, same origin, Host allow-list, rate limits, captive portal, security headers), the
 * protocol carried unchanged (wrong code, tampering, one phone at a time), and long-poll
 * behaviour on injected timers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anyOf } from '../matchers.js';
import { DeviceSession } from '../../central/engine/device-session.js';
import type { DeviceLink } from '../../central/engine/device-link.js';
import { decodeMessage } from '../../protocol/codec.js';
import { crc32 } from '../../protocol/crc32.js';
import { FIRST_FRAME_HEADER_BYTES } from '../../protocol/framing.js';
import { MessageLink } from '../../protocol/link.js';
import { ReportedError } from '../../protocol/notice.js';
import { toHex } from '../../protocol/vectors/build.js';
import { formatSetupCode, generateSetupCode, SessionInitiator } from '../../protocol/session/index.js';
import type { CreatedConnection, NotificationBatch } from '../../softap-fallback/client/api.js';
import { connectHttp } from '../../softap-fallback/client/http-link.js';
import { fromBase64Url } from '../../softap-fallback/client/base64url.js';
import {
  CONTENT_SECURITY_POLICY,
  LONG_POLL_MS,
  CONNECTION_IDLE_MS,
  CONNECT_BURST,
  MAX_FRAME_BODY_BYTES,
} from '../../softap-fallback/server/index.js';
import { ManualTimers } from '../support/manual-timers.js';
import { CLIENT, raw, random, startSoftApFixture, until } from './fixture.js';
import type { RawResponse, SoftApFixture } from './fixture.js';
import { requestUrl } from '../support/request-url.js';

const errorCode = (r: RawResponse): unknown => (r.json() as { error?: { code?: string } }).error?.code;

async function created(fx: SoftApFixture): Promise<CreatedConnection> {
  const r = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT);
  expect(r.status).toBe(201);
  return r.json() as CreatedConnection;
}

describe('SoftAP API: requests the server refuses', () => {
  let fx: SoftApFixture;
  let now = 1_000_000;
  beforeAll(async () => {
    fx = await startSoftApFixture({ now: () => now });
  });
  afterAll(async () => {
    await fx?.close();
  });
  afterEach(async () => {
    // Each test starts with no connection and a full rate-limit bucket.
    for (let i = 0; i < 5 && fx.server.connections() > 0; i++) await until(() => true);
    now += 600_000;
  });

  it('serves the info bytes with security headers and no-store', async () => {
    const r = await raw(fx.server, 'GET', '/api/v1/info');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(decodeMessage(new Uint8Array(r.body))).toMatchObject({ type: 'info', deviceId: fx.deviceId, state: 'idle' });
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-powered-by']).toBeUndefined();
    // No claim defaults configured on this device.
    const d = await raw(fx.server, 'GET', '/api/v1/claim-defaults');
    expect(d.status).toBe(404);
    expect(errorCode(d)).toBe('CONFIG_INVALID');
  });

  it('refuses an oversize frame with 413 MESSAGE_TOO_LARGE and changes nothing', async () => {
    const c = await created(fx);
    const big = new Uint8Array(MAX_FRAME_BODY_BYTES + 1).fill(0x80);
    const r = await raw(
      fx.server,
      'POST',
      `/api/v1/connections/${c.id}/frames/session`,
      { ...CLIENT, 'Content-Type': 'application/octet-stream' },
      big,
    );
    expect(r.status).toBe(413);
    expect(r.json()).toMatchObject({ error: { code: 'MESSAGE_TOO_LARGE', message: anyOf(String) } });
    // The same without a declared length (chunked) is cut off while reading.
    const chunked = await new Promise<RawResponse>((resolve, reject) => {
      void import('node:http').then(({ request }) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: fx.server.port,
            method: 'POST',
            path: `/api/v1/connections/${c.id}/frames/session`,
            agent: false,
            headers: {
              Host: `127.0.0.1:${fx.server.port}`,
              ...CLIENT,
              'Content-Type': 'application/octet-stream',
              'Transfer-Encoding': 'chunked',
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (x: Buffer) => chunks.push(x));
            res.on('end', () => {
              const b = Buffer.concat(chunks);
              resolve({
                status: res.statusCode!,
                headers: res.headers,
                body: b,
                text: b.toString(),
                json: () => JSON.parse(b.toString()) as unknown,
              });
            });
          },
        );
        req.on('error', reject);
        req.write(Buffer.from(big.subarray(0, 300)));
        req.end(Buffer.from(big.subarray(300)));
      });
    });
    expect(chunked.status).toBe(413);
    expect(errorCode(chunked)).toBe('MESSAGE_TOO_LARGE');
    // Nothing reached the protocol: no notification, the agent untouched, the connection still there.
    expect(fx.device.agent.state).toBe('idle');
    expect(fx.server.connections()).toBe(1);
    await raw(fx.server, 'DELETE', `/api/v1/connections/${c.id}`, CLIENT);
    // A body on a route that takes none.
    const withBody = await raw(
      fx.server,
      'POST',
      '/api/v1/connections',
      { ...CLIENT, 'Content-Type': 'application/octet-stream' },
      new Uint8Array(10),
    );
    expect(withBody.status).toBe(413);
  }, 40_000);

  it('takes frames only as application/octet-stream (415) and only on the four written channels', async () => {
    const c = await created(fx);
    const json = await raw(
      fx.server,
      'POST',
      `/api/v1/connections/${c.id}/frames/session`,
      { ...CLIENT, 'Content-Type': 'application/json' },
      new TextEncoder().encode('{}'),
    );
    expect(json.status).toBe(415);
    expect(errorCode(json)).toBe('MESSAGE_INVALID');
    const none = await raw(fx.server, 'POST', `/api/v1/connections/${c.id}/frames/session`, CLIENT, new Uint8Array(4));
    expect(none.status).toBe(415);
    const status = await raw(
      fx.server,
      'POST',
      `/api/v1/connections/${c.id}/frames/status`,
      { ...CLIENT, 'Content-Type': 'application/octet-stream' },
      new Uint8Array(4),
    );
    expect(status.status).toBe(400);
    expect(errorCode(status)).toBe('WRONG_CHANNEL');
    const empty = await raw(fx.server, 'POST', `/api/v1/connections/${c.id}/frames/wifi`, {
      ...CLIENT,
      'Content-Type': 'application/octet-stream',
    });
    expect(empty.status).toBe(400);
    expect(errorCode(empty)).toBe('FRAME_MALFORMED');
    const badAfter = await raw(fx.server, 'GET', `/api/v1/connections/${c.id}/notifications?after=-1`);
    expect(badAfter.status).toBe(400);
    expect(errorCode(badAfter)).toBe('MESSAGE_INVALID');
    await raw(fx.server, 'DELETE', `/api/v1/connections/${c.id}`, CLIENT);
  });

  it('refuses cross-origin requests (403 ORIGIN_REJECTED), preflights included, and POSTs without X-Provisioning-Client', async () => {
    const cross = await raw(fx.server, 'POST', '/api/v1/connections', { ...CLIENT, Origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(errorCode(cross)).toBe('ORIGIN_REJECTED');
    const site = await raw(fx.server, 'POST', '/api/v1/connections', { ...CLIENT, 'Sec-Fetch-Site': 'cross-site' });
    expect(site.status).toBe(403);
    const preflight = await raw(fx.server, 'OPTIONS', '/api/v1/connections', {
      Origin: 'http://evil.example',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'x-provisioning-client',
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const noHeader = await raw(fx.server, 'POST', '/api/v1/connections');
    expect(noHeader.status).toBe(403);
    expect(errorCode(noHeader)).toBe('ORIGIN_REJECTED');
    const wrongValue = await raw(fx.server, 'DELETE', '/api/v1/connections/abc', { 'X-Provisioning-Client': 'yes' });
    expect(wrongValue.status).toBe(403);
    // The device's own origin is fine.
    const same = await raw(fx.server, 'POST', '/api/v1/connections', {
      ...CLIENT,
      Origin: `http://127.0.0.1:${fx.server.port}`,
    });
    expect(same.status).toBe(201);
    await raw(fx.server, 'DELETE', `/api/v1/connections/${(same.json() as CreatedConnection).id}`, CLIENT);
    expect(fx.server.connections()).toBe(0);
  });

  it('guards the Host header: API 403, pages and OS probes redirect to the setup page', async () => {
    const page = `http://127.0.0.1:${fx.server.port}/`;
    const foreign = await raw(fx.server, 'GET', '/', { Host: 'connectivitycheck.gstatic.com' });
    expect(foreign.status).toBe(302);
    expect(foreign.headers.location).toBe(page);
    const rebinding = await raw(fx.server, 'GET', '/api/v1/info', { Host: 'evil.example' });
    expect(rebinding.status).toBe(403);
    expect(errorCode(rebinding)).toBe('ORIGIN_REJECTED');
    const post = await raw(fx.server, 'POST', '/api/v1/connections', { ...CLIENT, Host: 'evil.example' });
    expect(post.status).toBe(403);
    for (const probe of ['/generate_204', '/hotspot-detect.html', '/ncsi.txt', '/connecttest.txt']) {
      const r = await raw(fx.server, 'GET', probe);
      expect(r.status, probe).toBe(302);
      expect(r.headers.location, probe).toBe(page);
    }
    const probeElsewhere = await raw(fx.server, 'GET', '/generate_204', { Host: 'clients3.google.com' });
    expect(probeElsewhere.headers.location).toBe(page);
    expect(fx.server.connections()).toBe(0);
  });

  it('serves a placeholder page at / until the page is installed; unknown API paths are JSON 404s', async () => {
    const r = await raw(fx.server, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.text).toContain('Device setup');
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect((await raw(fx.server, 'GET', '/assets/..%2f..%2fetc%2fpasswd')).status).toBe(302);
    const undecodable = await raw(fx.server, 'GET', '/api/v1/connections/%E0%A4%A/info');
    expect(undecodable.status).toBe(400);
    expect(errorCode(undecodable)).toBe('MESSAGE_INVALID');
    const unknown = await raw(fx.server, 'GET', '/api/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('MESSAGE_INVALID');
  });

  it('rate-limits connection creation per client with 429 RATE_LIMITED and Retry-After', async () => {
    for (let i = 0; i < CONNECT_BURST; i++) {
      const c = await created(fx);
      expect((await raw(fx.server, 'DELETE', `/api/v1/connections/${c.id}`, CLIENT)).status).toBe(204);
    }
    const limited = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT);
    expect(limited.status).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED', retryAfterS: anyOf(Number) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // connectHttp turns it into the product's error.
    await expect(connectHttp(fx.server.url)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    now += Number(limited.headers['retry-after']) * 1000;
    const c = await created(fx);
    await raw(fx.server, 'DELETE', `/api/v1/connections/${c.id}`, CLIENT);
  });

  it('answers 404 LINK_LOST for an unknown connection on every route', async () => {
    const id = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const [method, path, headers] of [
      ['POST', `/api/v1/connections/${id}/frames/session`, { ...CLIENT, 'Content-Type': 'application/octet-stream' }],
      ['GET', `/api/v1/connections/${id}/notifications?after=0`, {}],
      ['GET', `/api/v1/connections/${id}/info`, {}],
      ['DELETE', `/api/v1/connections/${id}`, CLIENT],
    ] as const) {
      const r = await raw(
        fx.server,
        method,
        path,
        headers,
        method === 'POST' ? new Uint8Array([0xc0, 0, 1, 0, 0, 0, 0, 1]) : undefined,
      );
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(errorCode(r)).toBe('LINK_LOST');
    }
  });
});

describe('SoftAP API: the protocol over HTTP', () => {
  let fx: SoftApFixture;
  beforeAll(async () => {
    fx = await startSoftApFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('fails a wrong setup code with SESSION_AUTH_FAILED, counted by the shared attempt limiter', async () => {
    const link = await connectHttp(fx.server.url);
    const session = new DeviceSession(link, { now: Date.now, random });
    const before = fx.attempts.state.failures;
    await expect(session.handshake(formatSetupCode(generateSetupCode(random)), fx.deviceId)).rejects.toMatchObject({
      code: 'SESSION_AUTH_FAILED',
    });
    expect(fx.attempts.state.failures).toBe(before + 1);
    await link.close();
    expect(fx.server.connections()).toBe(0);
    // The right code resets the count.
    const link2 = await connectHttp(fx.server.url);
    await new DeviceSession(link2, { now: Date.now, random }).handshake(fx.setupCode, fx.deviceId);
    expect(fx.attempts.state.failures).toBe(0);
    await link2.close();
  });

  it('gives a second phone DEVICE_BUSY while one holds the session; the same phone coming back takes its session over', async () => {
    const first = await connectHttp(fx.server.url);
    let firstDropped = false;
    first.onDrop(() => {
      firstDropped = true;
    });
    const session = new DeviceSession(first, { now: Date.now, random });
    await session.handshake(fx.setupCode, fx.deviceId);
    await session.status(() => true, 0);
    expect(fx.device.agent.busy).toBe(true);
    // Another phone on the AP (another address).
    const other = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT, undefined, '127.0.0.2');
    expect(other.status).toBe(503);
    expect(errorCode(other)).toBe('DEVICE_BUSY');
    // The same phone again (its first connection went silent): proving the code takes over.
    const again = await connectHttp(fx.server.url);
    const resumed = new DeviceSession(again, { now: Date.now, random });
    await resumed.handshake(fx.setupCode, fx.deviceId);
    expect((await resumed.status(() => true, 0)).state).toBe('sessionEstablished');
    await until(() => firstDropped);
    await expect(session.send('control', { type: 'control', command: 'scan' })).rejects.toMatchObject({
      code: 'LINK_LOST',
    });
    expect(fx.device.agent.busy).toBe(true);
    await again.close();
    await first.close();
    await until(() => !fx.device.agent.busy);
  });

  it('ends the session with SESSION_TAMPERED when a sealed frame is altered', async () => {
    const batches: NotificationBatch[] = [];
    // Record what the long-poll answers (the `closed` code is not part of DeviceLink).
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (requestUrl(input).includes('/notifications') && res.ok)
        batches.push((await res.clone().json()) as NotificationBatch);
      return res;
    };
    const link = await connectHttp(fx.server.url, { fetch: recording });
    let dropped = false;
    link.onDrop(() => {
      dropped = true;
    });
    const tampering: DeviceLink = {
      attPayload: link.attPayload,
      readInfo: () => link.readInfo(),
      onFrame: (n, l) => link.onFrame(n, l),
      onDrop: (l) => link.onDrop(l),
      close: () => link.close(),
      write: (name, frame) => {
        if (name !== 'wifi') return link.write(name, frame);
        // Flip a bit of the sealed data and mend the frame's CRC-32: only the AEAD can notice.
        const bad = new Uint8Array(frame);
        expect(bad[0]! & 0xc0).toBe(0xc0); // one whole message in this frame
        bad[bad.length - 1]! ^= 0x01;
        new DataView(bad.buffer).setUint32(3, crc32(bad.subarray(FIRST_FRAME_HEADER_BYTES)), false);
        return link.write(name, bad);
      },
    };
    const session = new DeviceSession(tampering, { now: Date.now, random });
    await session.handshake(fx.setupCode, fx.deviceId);
    await session.send('wifi', {
      type: 'wifi',
      ssid: new TextEncoder().encode('home'),
      passphrase: 'correct horse battery',
    });
    await until(() => dropped);
    expect(batches.at(-1)?.closed).toEqual({ code: 'SESSION_TAMPERED' });
    expect(fx.device.agent.state).toBe('idle');
    expect(fx.log.join('\n')).not.toContain('correct horse battery');
    // The error notice (PROTOCOL.md §4.8) came through the long-poll before the end: the phone
    // reports the device's code, not just a lost link.
    const items = batches.flatMap((b) => b.items);
    expect(items.at(-1)?.channel).toBe('status');
    expect(toHex(fromBase64Url(items.at(-1)!.frame).subarray(FIRST_FRAME_HEADER_BYTES))).toBe('8207190206');
    const failure = await session.send('control', { type: 'control', command: 'scan' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ReportedError);
    expect(failure).toMatchObject({ code: 'SESSION_TAMPERED' });
    await link.close();
    await until(() => !fx.device.agent.busy);
  });
});

describe('SoftAP API: long-poll and expiry on injected timers', () => {
  let fx: SoftApFixture;
  const timers = new ManualTimers();
  beforeAll(async () => {
    fx = await startSoftApFixture({ timers });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('waits when nothing is queued, answers empty when its time is up, and at once when items are queued', async () => {
    const c = await created(fx);
    const poll = raw(fx.server, 'GET', `/api/v1/connections/${c.id}/notifications?after=0`);
    await until(() => fx.server.traffic().waiting === 1);
    expect(timers.count(LONG_POLL_MS)).toBe(1);
    expect(timers.fire(LONG_POLL_MS)).toBe(1);
    const empty = await poll;
    expect(empty.status).toBe(200);
    expect(empty.json()).toEqual({ next: 0, items: [] });

    // Queue a notification: a handshake hello gets its answer on `session`.
    const link = await connectHttp(fx.server.url);
    const session = new DeviceSession(link, { now: Date.now, random });
    const firedBefore = timers.fired;
    // The whole handshake runs on answers given at once: no long-poll timer had to fire.
    await session.handshake(fx.setupCode, fx.deviceId);
    expect(timers.fired).toBe(firedBefore);
    await link.close();
    await raw(fx.server, 'DELETE', `/api/v1/connections/${c.id}`, CLIENT);
  });

  it('drops a waiting long-poll whose client aborted', async () => {
    const c = await created(fx);
    const { request } = await import('node:http');
    const req = request({
      host: '127.0.0.1',
      port: fx.server.port,
      path: `/api/v1/connections/${c.id}/notifications?after=0`,
      headers: { Host: `127.0.0.1:${fx.server.port}` },
      agent: false,
    });
    req.on('error', () => undefined);
    req.end();
    await until(() => fx.server.traffic().waiting === 1);
    req.destroy();
    await until(() => fx.server.traffic().waiting === 0);
    expect(timers.count(LONG_POLL_MS)).toBe(0);
    await raw(fx.server, 'DELETE', `/api/v1/connections/${c.id}`, CLIENT);
  });

  it('expires a connection whose client went away', async () => {
    const c = await created(fx);
    expect(fx.server.connections()).toBe(1);
    timers.fire(CONNECTION_IDLE_MS);
    expect(fx.server.connections()).toBe(0);
    const r = await raw(fx.server, 'GET', `/api/v1/connections/${c.id}/notifications?after=0`);
    expect(r.status).toBe(404);
    expect(errorCode(r)).toBe('LINK_LOST');
  });
});

describe('SoftAP API: bounded connections', () => {
  let fx: SoftApFixture;
  beforeAll(async () => {
    fx = await startSoftApFixture({ limits: { maxConnections: 2 } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('lets a new connection evict the oldest one without a session; while a session is held, DEVICE_BUSY', async () => {
    const first = await created(fx);
    const second = await created(fx);
    expect(fx.server.connections()).toBe(2);
    const third = await created(fx);
    expect(fx.server.connections()).toBe(2);
    const gone = await raw(fx.server, 'GET', `/api/v1/connections/${first.id}/info`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('LINK_LOST');
    expect((await raw(fx.server, 'GET', `/api/v1/connections/${second.id}/info`)).status).toBe(200);
    await raw(fx.server, 'DELETE', `/api/v1/connections/${second.id}`, CLIENT);
    await raw(fx.server, 'DELETE', `/api/v1/connections/${third.id}`, CLIENT);
    // A phone in a session keeps the device: no other phone gets a connection.
    const holder = await connectHttp(fx.server.url);
    await new DeviceSession(holder, { now: Date.now, random }).handshake(fx.setupCode, fx.deviceId);
    const refused = await raw(fx.server, 'POST', '/api/v1/connections', CLIENT, undefined, '127.0.0.2');
    expect(refused.status).toBe(503);
    expect(errorCode(refused)).toBe('DEVICE_BUSY');
    await holder.close();
    expect(fx.server.connections()).toBe(0);
  });

  it('ends a connection whose client stops reading notifications (bounded queue): closed LINK_LOST', async () => {
    const small = await startSoftApFixture({ deviceId: 'pi-queue', limits: { maxQueuedNotifications: 2 } });
    try {
      const c = await created(small);
      const info = new Uint8Array((await raw(small.server, 'GET', `/api/v1/connections/${c.id}/info`)).body);
      const link = new MessageLink({ characteristic: 'session', attPayload: c.attPayload, now: Date.now });
      // Every hello is answered with one session frame; nobody polls.
      for (let i = 0; i < 3; i++) {
        const [frame] = link.sendBytes(
          new SessionInitiator({ setupCode: small.setupCode, deviceId: small.deviceId, info, random }).start(),
        );
        const r = await raw(
          small.server,
          'POST',
          `/api/v1/connections/${c.id}/frames/session`,
          { ...CLIENT, 'Content-Type': 'application/octet-stream' },
          frame,
        );
        expect(r.status).toBe(204);
      }
      const n = await raw(small.server, 'GET', `/api/v1/connections/${c.id}/notifications?after=0`);
      expect(n.json()).toMatchObject({
        next: 2,
        items: [{ channel: 'session' }, { channel: 'session' }],
        closed: { code: 'LINK_LOST' },
      });
      const late = await raw(
        small.server,
        'POST',
        `/api/v1/connections/${c.id}/frames/session`,
        { ...CLIENT, 'Content-Type': 'application/octet-stream' },
        new Uint8Array([0xc0]),
      );
      expect(late.status).toBe(404);
      expect(errorCode(late)).toBe('LINK_LOST');
    } finally {
      await small.close();
    }
  });

  it('serves the installed page files at / and /assets/, and nothing else', async () => {
    const page = await startSoftApFixture({
      deviceId: 'pi-page',
      server: {
        page: {
          files: new Map([
            [
              '/',
              {
                contentType: 'text/html; charset=utf-8',
                body: new TextEncoder().encode(
                  '<!doctype html><title>Setup</title><script src="/assets/app.js"></script>',
                ),
              },
            ],
            [
              '/assets/app.js',
              { contentType: 'text/javascript; charset=utf-8', body: new TextEncoder().encode('console.log(1)') },
            ],
          ]),
        },
      },
    });
    try {
      const index = await raw(page.server, 'GET', '/');
      expect(index.text).toContain('/assets/app.js');
      expect(index.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      const js = await raw(page.server, 'GET', '/assets/app.js');
      expect(js.status).toBe(200);
      expect(js.headers['content-type']).toContain('text/javascript');
      expect((await raw(page.server, 'GET', '/assets/other.js')).status).toBe(302);
    } finally {
      await page.close();
    }
  });
});

describe('SoftAP server start-up', () => {
  it('fails with SOFTAP_FAILED on a port in use, and CONFIG_INVALID on a wildcard address without allowedHosts', async () => {
    const fx = await startSoftApFixture({ deviceId: 'pi-start' });
    try {
      await expect(
        startSoftApFixture({ deviceId: 'pi-start2', server: { listen: { host: '127.0.0.1', port: fx.server.port } } }),
      ).rejects.toMatchObject({ code: 'SOFTAP_FAILED' });
      await expect(
        startSoftApFixture({ deviceId: 'pi-start3', server: { listen: { host: '0.0.0.0', port: 0 } } }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      await fx.close();
    }
  });
});
