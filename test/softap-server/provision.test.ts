/**
 * Provisioning end to end over HTTP: the central's provisionDevice over connectHttp, the SoftAP
 * server hosting the same GattConnection and agent as BLE, the device's real fleet routine
 * against the in-process cloud emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDevice } from '../../central/engine/provision.js';
import type { Phase } from '../../central/engine/provision.js';
import { connectHttp } from '../../softap-fallback/client/http-link.js';
import type { HttpDeviceLinkApi } from '../../softap-fallback/client/http-link.js';
import { startTestCloud } from '../device/cloud.js';
import type { TestCloud } from '../device/cloud.js';
import { NET, random, startSoftApFixture } from './fixture.js';
import type { SoftApFixture } from './fixture.js';
import { requestUrl } from '../support/request-url.js';

const SERIAL = 'SN-SOFTAP';
let cloud: TestCloud;
let fx: SoftApFixture;

beforeAll(async () => {
  cloud = await startTestCloud();
  fx = await startSoftApFixture({ caPem: cloud.emu.caPem, serial: SERIAL });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await cloud?.close();
});

describe('provisioning over the SoftAP HTTP API', () => {
  it("provisions the device with provisionDevice over connectHttp, with the device's scan", async () => {
    const phases: Phase[] = [];
    const states: string[] = [];
    const links: HttpDeviceLinkApi[] = [];
    let networks: string[] = [];
    let claimSentAt = 0;
    let provisionedAt = 0;
    const before = fx.server.traffic();
    // Requests by kind, for the figures.
    const kinds: Record<string, number> = {};
    const counting: typeof fetch = (input, init) => {
      const path = new URL(requestUrl(input)).pathname;
      const kind = `${init?.method ?? 'GET'} ${path.replace(/connections\/[^/]+/, 'connections/:id')}`;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      return fetch(input, init);
    };
    const result = await provisionDevice(
      {
        deviceId: fx.deviceId,
        setupCode: fx.setupCode,
        wifi: { ssid: NET.ssid, passphrase: NET.passphrase },
        scan: true,
        claim: async () => {
          const c = await cloud.claim();
          claimSentAt = performance.now();
          return c;
        },
      },
      {
        connect: async () => {
          const link = await connectHttp(fx.server.url, { fetch: counting });
          links.push(link);
          return link;
        },
        random,
        hooks: {
          onPhase: (p) => phases.push(p),
          onStatus: (s) => {
            states.push(s.state);
            if (s.state === 'provisioned') provisionedAt = performance.now();
          },
          onScan: (n) => {
            networks = n.map((x) => new TextDecoder().decode(x.ssid));
          },
        },
      },
    );
    const after = fx.server.traffic();
    expect(result.thingName).toBe(`mything_${SERIAL}`);
    expect(cloud.emu.registry.certificates.get(result.certificateId)?.status).toBe('ACTIVE');
    expect(phases).toEqual(['connect', 'session', 'scan', 'transfer', 'provision']);
    expect(networks).toEqual(['home', 'cafe']);
    expect(states).toContain('registering');
    expect(states.at(-1)).toBe('provisioned');
    expect(result.attPayload).toBe(512);
    expect(fx.device.agent.state).toBe('provisioned');
    expect(fx.wifi.connected).toBe(NET.ssid);
    // The link was closed by the phone: the server forgets it.
    expect(fx.server.connections()).toBe(0);
    // No secret in the server's log.
    const log = fx.log.join('\n');
    expect(log).not.toContain(NET.passphrase);
    expect(log).not.toContain('PRIVATE KEY');
    expect(log).toContain('session established');
    const link = links[0]!;
    // Figures (printed, not asserted on time).
    console.log(
      `[softap figures] frames out ${link.counters.frameBytesOut} B, frames in ${link.counters.frameBytesIn} B, ` +
        `client requests ${link.counters.requests}, server requests ${after.requests - before.requests}, ` +
        `HTTP bytes in ${after.bytesIn - before.bytesIn} B / out ${after.bytesOut - before.bytesOut} B, ` +
        `claim sent → provisioned ${(provisionedAt - claimSentAt).toFixed(0)} ms, phases ${JSON.stringify(result.phasesMs)}, requests ${JSON.stringify(kinds)}`,
    );
    expect(link.counters.frameBytesOut).toBe(result.bytesSent);
    expect(after.bytesIn - before.bytesIn).toBeGreaterThan(result.bytesSent);
  }, 60_000);
});
