/**
 * Provisioning end to end over HTTP: the central's provisionDevice over connectHttp, the SoftAP
 * server hosting the same GattConnection and agent as BLE, the device's real fleet routine
 * against the in-process cloud emulator. A second device takes a wrong Wi-Fi password retried on
 * the same session (PROTOCOL.md §6.1: `failed` takes a new `wifi` and `commit`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDevice } from '../../central/engine/provision.js';
import type { Phase, ProvisionJob } from '../../central/engine/provision.js';
import type { DeviceLink } from '../../central/engine/index.js';
import type { ClaimMessage } from '../../protocol/index.js';
import { connectHttp } from '../../softap-fallback/client/http-link.js';
import type { HttpDeviceLinkApi } from '../../softap-fallback/client/http-link.js';
import { startTestCloud } from '../device/cloud.js';
import type { TestCloud } from '../device/cloud.js';
import { NET, random, startSoftApFixture } from './fixture.js';
import type { SoftApFixture } from './fixture.js';
import { requestUrl } from '../support/request-url.js';

const SERIAL = 'SN-SOFTAP';
const RETRY_SERIAL = 'SN-WIFI-RETRY';
let cloud: TestCloud;
let fx: SoftApFixture;
/** The device of the Wi-Fi retry cases. */
let retryFx: SoftApFixture;

beforeAll(async () => {
  cloud = await startTestCloud();
  fx = await startSoftApFixture({ caPem: cloud.emu.caPem, serial: SERIAL });
  retryFx = await startSoftApFixture({ caPem: cloud.emu.caPem, serial: RETRY_SERIAL, deviceId: 'pi-retry' });
}, 60_000);

afterAll(async () => {
  await retryFx?.close();
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

/** provisionDevice with counted links and claims; `answers` are what the person gives when asked again. */
function run(
  answers: Array<ProvisionJob['wifi'] | undefined>,
  first = { ssid: NET.ssid, passphrase: 'wrong password' },
) {
  const asked: string[] = [];
  const phases: Phase[] = [];
  let links = 0;
  let claims = 0;
  let claim: ClaimMessage | undefined;
  const result = provisionDevice(
    {
      deviceId: retryFx.deviceId,
      setupCode: retryFx.setupCode,
      wifi: first,
      // One claim source, as CloudSession: the same claim while it has life left.
      claim: async () => {
        claims++;
        claim ??= await cloud.claim();
        return claim;
      },
      retryWifi: (error) => {
        asked.push(error.code);
        return Promise.resolve(answers.shift());
      },
    },
    {
      connect: (): Promise<DeviceLink> => {
        links++;
        return connectHttp(retryFx.server.url);
      },
      random,
      hooks: { onPhase: (p) => phases.push(p) },
    },
  );
  return { result, asked, phases, counts: () => ({ links, claims }) };
}

describe('a wrong Wi-Fi password, retried on the same session', () => {
  it('ends with WIFI_AUTH_FAILED when the person gives up, and the device is free again', async () => {
    const r = run([undefined]);
    await expect(r.result).rejects.toMatchObject({ code: 'WIFI_AUTH_FAILED' });
    expect(r.asked).toEqual(['WIFI_AUTH_FAILED']);
    expect(r.counts().links).toBe(1);
    expect(retryFx.wifi.connected).toBeUndefined();
    // The phone closed its link: the device left `failed` for `idle` and forgot the drafts.
    expect(retryFx.device.agent.state).toBe('idle');
  }, 60_000);

  it('asks again (also after settings the device refuses) and provisions once, on one link and one claim', async () => {
    const r = run([
      { ssid: NET.ssid, passphrase: 'short' },
      { ssid: NET.ssid, passphrase: NET.passphrase },
    ]);
    const result = await r.result;
    // The wrong password, then the phone's own check of a 5-character one, then the right one.
    expect(r.asked).toEqual(['WIFI_AUTH_FAILED', 'MESSAGE_INVALID']);
    expect(result.attempts).toBe(1);
    expect(r.counts()).toEqual({ links: 1, claims: 2 });
    expect(r.phases).toEqual(['connect', 'session', 'transfer', 'provision', 'transfer', 'provision']);
    expect(result.thingName).toBe(`mything_${RETRY_SERIAL}`);
    expect(retryFx.wifi.connected).toBe(NET.ssid);
    // Provisioned once: one thing, with one certificate, the one the device reported.
    const { things } = cloud.emu.registry;
    expect(things.list().filter((t) => t.thingName.endsWith(RETRY_SERIAL))).toHaveLength(1);
    expect(things.listPrincipals(result.thingName)).toEqual([expect.stringMatching(`cert/${result.certificateId}$`)]);
    expect(retryFx.log.join('\n')).not.toContain(NET.passphrase);
  }, 60_000);
});
