/**
 * A device for the SoftAP server tests: the real agent (simulated Wi-Fi, real fleet routine when a
 * cloud is given), a setup code and verifier, THE attempt limiter, and the HTTP server on
 * 127.0.0.1 with a free port. Helpers speak raw HTTP where fetch may not (Host, Origin).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInfo } from '../../peripheral/engine/info.js';
import type { Timers } from '../../protocol/index.js';
import { encodeMessage } from '../../protocol/codec.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import type { SetupVerifier } from '../../protocol/session/index.js';
import { startSoftApServer } from '../../softap-fallback/server/index.js';
import type { SoftApLimits, SoftApServer, SoftApServerOptions } from '../../softap-fallback/server/index.js';
import { makeDevice } from '../device/harness.js';
import type { DeviceUnderTest } from '../device/harness.js';
import { SimWifi } from '../device/sim-wifi.js';

export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
export const NET = { ssid: 'home', passphrase: 'correct horse battery' };

export interface SoftApFixture {
  dir: string;
  deviceId: string;
  setupCode: string;
  verifier: SetupVerifier;
  attempts: AttemptLimiter;
  device: DeviceUnderTest;
  wifi: SimWifi;
  server: SoftApServer;
  log: string[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  deviceId?: string;
  caPem?: string;
  serial?: string;
  timers?: Timers;
  now?: () => number;
  limits?: Partial<SoftApLimits>;
  attempts?: AttemptLimiter;
  server?: Partial<SoftApServerOptions>;
}

export async function startSoftApFixture(options: FixtureOptions = {}): Promise<SoftApFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'softap-server-'));
  const deviceId = options.deviceId ?? 'pi-softap';
  const code = generateSetupCode(random);
  const verifier = makeVerifier({ deviceId, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  const wifi = new SimWifi([NET, { ssid: 'cafe' }]);
  const device = makeDevice({
    stateDir: join(dir, 'device'),
    wifi,
    caPem: options.caPem ?? '',
    ...(options.serial ? { serial: options.serial } : {}),
  });
  await device.agent.start();
  const now = options.now ?? Date.now;
  const attempts = options.attempts ?? new AttemptLimiter(new MemoryAttemptStore(), now);
  const log: string[] = [];
  const server = await startSoftApServer({
    agent: device.agent,
    verifier,
    attempts,
    random,
    now,
    info: () => encodeMessage(buildInfo({ deviceId, state: device.agent.state })),
    listen: { host: '127.0.0.1', port: 0 },
    log: (l) => log.push(l),
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...options.server,
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    dir,
    deviceId,
    setupCode: formatSetupCode(code),
    verifier,
    attempts,
    device,
    wifi,
    server,
    log,
    close: async () => {
      await server.close();
      await device.agent.settled();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: () => unknown;
}

/** One request over node:http, with exactly the headers given (a Host or Origin fetch would not send), optionally from another address. */
export function raw(
  server: SoftApServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Uint8Array,
  from?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: { Host: `127.0.0.1:${server.port}`, ...headers },
        agent: false,
        // Another loopback address plays another phone on the AP.
        ...(from ? { localAddress: from } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: b,
            text: b.toString('utf8'),
            json: () => JSON.parse(b.toString('utf8')) as unknown,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) req.end(Buffer.from(body));
    else req.end();
  });
}

/** The headers the page (and the fetch client) send on POST/DELETE. */
export const CLIENT = { 'X-Provisioning-Client': '1' };

/** Resolves once `check` holds, looking again every few ms (a bound on waiting, not a timing assertion). */
export async function until(check: () => boolean, tries = 5_000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('condition not reached');
}
