/**
 * Fault: the BLE link drops at every chunk of the transfer. Real noble (phone) and bleno (device)
 * over the virtual air at ATT_MTU 247 (244-byte frames); the Wi-Fi message, the claim (an
 * emulator claim: certificate, key, CA and template parameters) and the commit are ~20 frames.
 * For each k the air drops the link right after the device acknowledged frame k; the central's
 * retry reconnects, opens a new session and goes on. Each case ends provisioned exactly once with
 * nothing half-written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionDevice } from '../../central/engine/index.js';
import type { DeviceLink, ProvisionJob } from '../../central/engine/index.js';
import { random, startBleWorld } from './ble-device.js';
import type { BleWorld } from './ble-device.js';
import {
  certificateIds,
  expectNothingHalfWritten,
  expectProvisionedOnce,
  NET,
  startFaultCloud,
  tappedLink,
} from './world.js';
import type { FaultCloud, WrittenFrame } from './world.js';

/** The ATT_MTU of this suite: a phone of today (Data Length Extension, 244-byte ATT payload). */
const MTU = 247;

let cloud: FaultCloud;
let w: BleWorld;

beforeAll(async () => {
  cloud = await startFaultCloud('link-drop');
  w = await startBleWorld(cloud, { deviceId: 'pi-drop', serial: 'SN-DROP', mtu: MTU });
}, 60_000);

afterAll(async () => {
  await w?.stop();
  await cloud?.close();
});

const job = (): ProvisionJob => ({
  deviceId: w.deviceId,
  setupCode: w.setupCode,
  wifi: { ssid: NET.ssid, passphrase: NET.passphrase },
  claim: () => cloud.claim(),
});

const isTransfer = (f: WrittenFrame): boolean => f.name !== 'session';

describe('link dropped at every chunk of the transfer (ATT_MTU 247)', () => {
  let transferFrames = 0;

  it('a clean run: counts the frames of the transfer', async () => {
    const before = certificateIds(cloud.emu);
    const frames: WrittenFrame[] = [];
    const result = await provisionDevice(job(), {
      connect: async () => tappedLink(await w.connect(), (f) => frames.push(f)),
      random,
    });
    expect(result.attPayload).toBe(MTU - 3);
    expect(result.attempts).toBe(1);
    await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before);
    await expectNothingHalfWritten(w.stateDir);
    transferFrames = frames.filter(isTransfer).length;
    // wifi (1 frame) + claim (~2.5-3 KB at 244 bytes a frame) + commit (1 frame).
    expect(frames.filter((f) => f.name === 'wifi')).toHaveLength(1);
    expect(frames.filter((f) => f.name === 'control')).toHaveLength(1);
    expect(transferFrames).toBeGreaterThanOrEqual(8);
    expect(transferFrames).toBeLessThanOrEqual(30);
  }, 60_000);

  it('drop after frame k, for every k: reconnects, and ends provisioned exactly once', async () => {
    expect(transferFrames).toBeGreaterThan(0);
    for (let k = 1; k <= transferFrames; k++) {
      await w.reset();
      const before = certificateIds(cloud.emu);
      let written = 0;
      let dropped = false;
      const retries: string[] = [];
      const connect = async (): Promise<DeviceLink> => {
        const link = await w.connect();
        if (dropped) return link;
        return tappedLink(link, (f) => {
          if (isTransfer(f) && ++written === k && !dropped) {
            dropped = true;
            w.air.dropLinks();
          }
        });
      };
      const result = await provisionDevice(job(), {
        connect,
        random,
        hooks: { onRetry: (_n, err) => retries.push(err.code) },
      });
      const label = `drop after transfer frame ${k}/${transferFrames}:`;
      expect(dropped, label).toBe(true);
      expect(retries, label).toEqual(['LINK_LOST']);
      expect(result.attempts, label).toBe(2);
      expect(result.thingName, label).toBe(`mything_${w.serial}`);
      await expectProvisionedOnce(cloud.emu, w.stateDir, w.serial, before, label);
      await expectNothingHalfWritten(w.stateDir, label);
    }
  }, 240_000);
});
