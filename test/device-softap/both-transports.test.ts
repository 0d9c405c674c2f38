/**
 * One device with BLE (real bleno on the in-process virtual air) and the SoftAP (simulated AP,
 * HTTP on loopback) both up (`softap.mode` always), phones on real noble and on the fetch client:
 * a session over one transport makes the other DEVICE_BUSY, and wrong setup codes over either
 * count against ONE attempt limiter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Air, loadNoble, setDefaultAir } from '../../ble/index.js';
import type { Noble } from '../../ble/index.js';
import { DeviceSession } from '../../central/engine/index.js';
import { DeviceFinder, NobleDeviceLink } from '../../ble/central/index.js';
import type { DeviceLink } from '../../central/engine/index.js';
import { formatSetupCode, generateSetupCode } from '../../protocol/session/index.js';
import { connectHttp } from '../../softap-fallback/client/http-link.js';
import { startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import { loggedInCloud, provision, random, startTestDevice, until } from './harness.js';
import type { TestDevice } from './harness.js';

const ALWAYS = { mode: 'always', listen: { host: '127.0.0.1', port: 0 }, accessPoint: { backend: 'simulated' } };

let fx: CentralFixture;
let noble: Noble;
let finder: DeviceFinder;
let d: TestDevice | undefined;
const links: DeviceLink[] = [];

beforeAll(async () => {
  fx = await startCentralFixture();
  setDefaultAir(new Air());
  noble = loadNoble('virtual');
  finder = new DeviceFinder(noble);
}, 60_000);
afterEach(async () => {
  if (process.env['DEVICE_DEBUG']) console.log(d?.log.join('\n'));
  for (const l of links.splice(0)) await l.close().catch(() => undefined);
  await d?.device.stop();
  d = undefined;
});
afterAll(async () => {
  await fx?.close();
});

async function bleLink(id: string): Promise<DeviceLink> {
  const link = await NobleDeviceLink.connect(await finder.find(id));
  links.push(link);
  return link;
}

async function httpLink(url: string): Promise<DeviceLink> {
  const link = await connectHttp(url);
  links.push(link);
  return link;
}

/** Opens a secure session (the agent session follows on the device). */
async function session(link: DeviceLink, dev: TestDevice, code = dev.code): Promise<DeviceSession> {
  const s = new DeviceSession(link, { now: Date.now, random });
  await s.handshake(code, dev.id);
  return s;
}

/**
 * How the device refuses a phone: the error code of the link (HTTP answers at once, e.g. 503
 * DEVICE_BUSY) or of the status it notifies once the handshake is through, or LINK_LOST when the
 * device dropped the link first (BLE drops right after refusing the agent session); undefined if
 * nothing happened within 10 s.
 */
async function refusal(open: () => Promise<DeviceLink>, dev: TestDevice): Promise<string | undefined> {
  let link: DeviceLink;
  try {
    link = await open();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  const s = new DeviceSession(link, { now: Date.now, random });
  let timer: NodeJS.Timeout | undefined;
  const outcome = new Promise<string | undefined>((resolve) => {
    s.onStatus = (status) => {
      if (status.error !== undefined) resolve(status.error);
    };
    link.onDrop(() => resolve('LINK_LOST'));
    s.handshake(dev.code, dev.id).catch((err: unknown) => resolve((err as { code?: string }).code));
    timer = setTimeout(() => resolve(undefined), 10_000);
  });
  try {
    return await outcome;
  } finally {
    clearTimeout(timer);
  }
}

describe('BLE and SoftAP on one device', () => {
  it('a BLE session makes the SoftAP DEVICE_BUSY and vice versa; each provisions once the other is gone', async () => {
    d = await startTestDevice(fx, 'pi-both', { ble: 'virtual', softap: ALWAYS });
    const dev = d;
    const url = dev.device.softapUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const cloud = await loggedInCloud(fx, 'both');

    const ble = await bleLink(dev.id);
    await session(ble, dev);
    await until(() => dev.device.agent.busy, 5000, 'the BLE agent session');
    expect(await refusal(() => httpLink(url), dev)).toBe('DEVICE_BUSY');
    expect(dev.device.agent.jobTransport).toBe('ble');
    await ble.close();
    await until(() => !dev.device.agent.busy, 5000, 'the BLE session to end');

    const http = await httpLink(url);
    await session(http, dev);
    await until(() => dev.device.agent.busy, 5000, 'the SoftAP agent session');
    // Over BLE the device refuses the agent session right after the handshake and drops the link.
    expect(await refusal(() => bleLink(dev.id), dev)).toMatch(/^(DEVICE_BUSY|LINK_LOST)$/);
    await until(
      () => dev.log.includes('ble: error DEVICE_BUSY (another phone is provisioning this device over the setup Wi-Fi)'),
      5000,
      'the refusal',
    );
    expect(dev.device.agent.jobTransport).toBe('softap');
    // The whole central flow over BLE ends with the refusal's code, not a hang on the dropped link.
    const refused = await provision(cloud, fx, dev, () => bleLink(dev.id), 1).catch(
      (err: unknown) => err as { code?: string },
    );
    expect((refused as { code?: string }).code).toMatch(/^(DEVICE_BUSY|LINK_LOST)$/);
    expect(dev.device.agent.jobTransport).toBe('softap');
    await http.close();
    await until(() => !dev.device.agent.busy, 5000, 'the SoftAP session to end');

    const result = await provision(cloud, fx, dev, () => httpLink(url));
    expect(result.thingName).toBe('mything_SN-pi-both');
    expect(dev.device.agent.state).toBe('provisioned');
  }, 60_000);

  it('wrong setup codes over BLE and over HTTP count against one limiter, then both are locked out', async () => {
    d = await startTestDevice(fx, 'pi-lim', { ble: 'virtual', softap: ALWAYS });
    const dev = d;
    const url = dev.device.softapUrl!;
    const wrong = formatSetupCode(generateSetupCode(random));
    const failures = (): number =>
      (JSON.parse(readFileSync(join(dev.stateDir, 'attempts.json'), 'utf8')) as { failures: number }).failures;
    for (const [i, open] of [
      () => httpLink(url),
      () => bleLink(dev.id),
      () => httpLink(url),
      () => bleLink(dev.id),
      () => httpLink(url),
    ].entries()) {
      const link = await open();
      await expect(session(link, dev, wrong)).rejects.toMatchObject({ code: 'SESSION_AUTH_FAILED' });
      await link.close();
      expect(failures()).toBe(i + 1);
    }
    // Five failures, over both paths, earn the first lock-out: the right code is refused on both
    // (over HTTP already when the connection is asked for).
    for (const open of [() => bleLink(dev.id), () => httpLink(url)]) {
      expect(await refusal(open, dev)).toBe('SESSION_LOCKED_OUT');
    }
  }, 60_000);
});
