/**
 * #15: the device survives its controller, on the in-process air. `device start`'s composition
 * (startDevice, BLE only: softap.mode never) on the real bleno, the phone on the real noble; the
 * controller is taken away (`closeStackTransport`: the H4 link closes, as a yanked dongle) at idle,
 * mid-handshake and mid-transfer. Each time the device logs it with the transport's name, shows
 * `ble: unavailable`, re-attaches by itself, sets its service up and advertises again, and the
 * phone then provisions. Last, the device stops with its controller gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Air, closeStackTransport, loadNoble, setDefaultAir } from '../../ble/index.js';
import type { Noble } from '../../ble/index.js';
import { findDevice, NobleDeviceLink, poweredOn } from '../../ble/central/index.js';
import type { DeviceLink } from '../../central/engine/index.js';
import type { CloudSession } from '../../central/cloud/cloud-session.js';
import { RuntimeStatusFile } from '../../apps/device/config/runtime-status.js';
import { startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';
import { loggedInCloud, provision, startTestDevice, until } from '../device-softap/harness.js';
import type { TestDevice } from '../device-softap/harness.js';
import { decommissionSerial } from '../device/decommission.js';
import { tappedLink } from '../faults/world.js';
import type { WrittenFrame } from '../faults/world.js';

const ID = 'pi-daemon';
/** Re-attach (1 s back-off) + bleno's device poll (1 s) + advertising, on a loaded machine, ms. */
const BACK_WITHIN_MS = 30_000;

let fx: CentralFixture;
let noble: Noble;
let d: TestDevice;
let cloud: CloudSession;
let stopped = false;

beforeAll(async () => {
  fx = await startCentralFixture();
  setDefaultAir(new Air());
  noble = loadNoble('virtual', { mtu: 247 });
  await poweredOn(noble);
  d = await startTestDevice(fx, ID, { ble: 'virtual', softap: { mode: 'never' } });
  cloud = await loggedInCloud(fx, 'daemon');
}, 90_000);

afterAll(async () => {
  if (!stopped) await d?.device.stop();
  await fx?.close();
});

const advertised = (): number => d.log.filter((l) => l === 'ble: advertising on virtual').length;
const connect = async (): Promise<DeviceLink> => NobleDeviceLink.connect(await findDevice(noble, ID));

/** Pulls the controller when `when` first says so; returns the connect function and whether it did. */
function pullingAt(when: (f: WrittenFrame, n: number) => boolean): {
  connect: () => Promise<DeviceLink>;
  pulled: () => boolean;
} {
  let pulled = false;
  let n = 0;
  return {
    pulled: () => pulled,
    connect: async () =>
      tappedLink(await connect(), (f) => {
        if (!pulled && when(f, ++n)) {
          pulled = true;
          closeStackTransport('bleno');
        }
      }),
  };
}

/** The controller went: logged with the transport, `unavailable`, then back and advertising again. */
async function expectLostAndBack(advertisedBefore: number, lostBefore: number): Promise<void> {
  const lost = (): string[] => d.log.filter((l) => l.startsWith('ble: controller lost on virtual'));
  await until(() => lost().length > lostBefore, BACK_WITHIN_MS, 'the loss to be logged');
  await until(() => advertised() > advertisedBefore, BACK_WITHIN_MS, 'advertising again');
  expect(d.log.filter((l) => /^ble: re-attaching to virtual \(attempt \d+\)$/.test(l)).length).toBeGreaterThan(
    lostBefore,
  );
  await until(() => RuntimeStatusFile.read(d.stateDir).ble === 'available', BACK_WITHIN_MS, 'status available');
}

async function provisionThenReset(label: string): Promise<void> {
  const result = await provision(cloud, fx, d, connect);
  expect(result.thingName, label).toBe(`mything_SN-${ID}`);
  await d.device.agent.settled();
  await d.device.agent.factoryReset();
  // The serial is provisioned again next: an operator decommissions the old registration first.
  await decommissionSerial(fx.emulator, `SN-${ID}`);
}

/**
 * LINK_LOST; the phone (central/) sometimes reports a sealed notification that lands after its
 * cipher was dropped with the link as SESSION_REQUIRED instead — a phone-side race, not the device's.
 */
const PHONE_LOST_LINK = /^(LINK_LOST|SESSION_REQUIRED)$/;
const failureCode = (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => 'provisioned',
    (err: unknown) => (err as { code?: string }).code,
  );

const lostCount = (): number => d.log.filter((l) => l.startsWith('ble: controller lost on virtual')).length;

describe('the device survives its controller (in-process air)', () => {
  it('at idle: logged, unavailable in status, re-attached, advertising; the phone provisions', async () => {
    expect(RuntimeStatusFile.read(d.stateDir)).toMatchObject({ ble: 'available', transport: 'virtual' });
    const [adv, lost] = [advertised(), lostCount()];
    closeStackTransport('bleno');
    // Reported at once, before any re-attach (the first attempt is 1 s away).
    await until(() => RuntimeStatusFile.read(d.stateDir).ble === 'unavailable', 5_000, 'status unavailable');
    await expectLostAndBack(adv, lost);
    await provisionThenReset('after a loss at idle');
  }, 120_000);

  it('mid-handshake: the phone loses the link; the device comes back and the phone provisions', async () => {
    const [adv, lost] = [advertised(), lostCount()];
    const pull = pullingAt((f) => f.name === 'session');
    expect(await failureCode(provision(cloud, fx, d, pull.connect, 1))).toMatch(PHONE_LOST_LINK);
    expect(pull.pulled()).toBe(true);
    await expectLostAndBack(adv, lost);
    await provisionThenReset('after a loss mid-handshake');
  }, 120_000);

  it('mid-transfer (claim frame 2): the phone loses the link; the device comes back and the phone provisions', async () => {
    const [adv, lost] = [advertised(), lostCount()];
    let claims = 0;
    const pull = pullingAt((f) => f.name === 'claim' && ++claims === 2);
    expect(await failureCode(provision(cloud, fx, d, pull.connect, 1))).toMatch(PHONE_LOST_LINK);
    expect(pull.pulled()).toBe(true);
    await expectLostAndBack(adv, lost);
    await provisionThenReset('after a loss mid-transfer');
  }, 120_000);

  it('stops with its controller gone', async () => {
    const from = d.log.length;
    closeStackTransport('bleno');
    await until(() => RuntimeStatusFile.read(d.stateDir).ble === 'unavailable', 5_000, 'status unavailable');
    stopped = true;
    await d.device.stop();
    // Torn down without asking the controller that is gone: no bound had to fire.
    expect(d.log.slice(from).filter((l) => /did not (finish|confirm)|failed/.test(l))).toEqual([]);
    expect(d.log.slice(from)).toContain('ble: stopped');
    expect(RuntimeStatusFile.read(d.stateDir)).toEqual({ ble: 'stopped' });
  }, 30_000);
});
