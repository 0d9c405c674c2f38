/**
 * `device start` from a configuration with the default fallback policy on a machine without a BLE
 * controller: BLE fails (BLE_UNAVAILABLE), the simulated AP and the HTTP server come up, a phone
 * provisions over HTTP, and once provisioned the policy takes the AP down. Logs carry no secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp } from '../../softap-fallback/client/http-link.js';
import { derivePassphrase } from '../../softap-fallback/ap/identity.js';
import { SimulatedAccessPoint } from '../../softap-fallback/ap/simulated-backend.js';
import { startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import { loggedInCloud, NET, provision, startTestDevice, until } from './harness.js';
import type { TestDevice } from './harness.js';

let fx: CentralFixture;
let d: TestDevice | undefined;

beforeAll(async () => {
  fx = await startCentralFixture();
}, 60_000);
afterAll(async () => {
  await d?.device.stop();
  await fx?.close();
});

describe('device start without a BLE controller (policy: noBleController)', () => {
  it('falls back to the simulated AP + HTTP server, provisions over HTTP, then closes the AP', async () => {
    const ap = new SimulatedAccessPoint({ clock: Date.now });
    d = await startTestDevice(
      fx,
      'pi-noble',
      { ble: `air:unix:${join(fx.dir, 'no-air.sock')}`, softap: {} },
      { accessPoint: ap },
    );
    const device = d.device;
    await until(() => device.softapUrl !== undefined, 15_000, 'the SoftAP server');
    const url = device.softapUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ap.isUp).toBe(true);
    expect(ap.history[0]).toMatchObject({ action: 'start', ok: true, ssid: 'Setup-pi-noble' });
    expect(d.log.some((l) => l.startsWith('fallback: enableBle failed (BLE_UNAVAILABLE'))).toBe(true);
    expect(d.log).toContain('fallback: startAp (noBleController)');
    expect(device.setup.snapshot()).toMatchObject({ controller: 'absent', apTrigger: 'noBleController' });

    const info = await fetch(`${url}/api/v1/info`);
    expect(info.status).toBe(200);
    expect(info.headers.get('content-type')).toMatch(/^application\/octet-stream/);
    expect((await info.arrayBuffer()).byteLength).toBeGreaterThan(20);

    // The upload page (softap-fallback/web) is served, not the server's placeholder.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/assets/app.js');

    const cloud = await loggedInCloud(fx, 'noble');
    const result = await provision(cloud, fx, d, () => connectHttp(url));
    expect(result.thingName).toBe('mything_SN-pi-noble');
    expect(device.agent.state).toBe('provisioned');
    // Provisioned and the phone gone: setup is done, the AP goes back to station mode.
    await until(() => !ap.isUp, 10_000, 'the AP to stop');
    expect(device.softapUrl).toBeUndefined();
    expect(d.log).toContain('fallback: stopAp (setupDone)');

    const secretPath = join(d.stateDir, 'softap-secret.bin');
    expect(statSync(secretPath).mode & 0o777).toBe(0o600);
    const passphrase = derivePassphrase(new Uint8Array(readFileSync(secretPath)), 'pi-noble');
    const all = d.log.join('\n');
    for (const secret of [d.code, d.code.replace(/-/g, ''), NET.passphrase, passphrase])
      expect(all).not.toContain(secret);
  }, 60_000);
});
