/**
 * One device on the real bleno and the phone on the real noble, in this process, over one virtual
 * air (both stacks are process singletons: one per test file). The device is the agent with the
 * real fleet routine on a state directory (test/device/harness.ts) behind the real GATT server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Air, loadBleno, loadNoble, setDefaultAir } from '../../ble/index.js';
import type { Bleno, Noble } from '../../ble/index.js';
import { findDevice, NobleDeviceLink, poweredOn } from '../../ble/central/index.js';
import type { DeviceLink } from '../../central/engine/index.js';
import type { WifiBackend } from '../../peripheral/wifi/index.js';
import type { FleetRunner } from '../../peripheral/agent/index.js';
import { ProvisioningGattServer } from '../../ble/peripheral/index.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import { makeDevice } from '../device/harness.js';
import type { DeviceUnderTest } from '../device/harness.js';
import { SimWifi } from '../device/sim-wifi.js';
import { NET } from './world.js';
import type { FaultCloud } from './world.js';
import { decommissionSerial } from '../device/decommission.js';

export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface BleWorld {
  air: Air;
  noble: Noble;
  bleno: Bleno;
  deviceId: string;
  setupCode: string;
  serial: string;
  stateDir: string;
  device: DeviceUnderTest;
  wifi: SimWifi;
  /** How far the device's clock is ahead of this process's, ms (0 at start). */
  clockSkewMs: number;
  /** Finds the device and connects a fresh link (what the central does on every attempt). */
  connect(): Promise<DeviceLink>;
  /** Waits for the phone's link to be gone, then factory-resets the device (between cases). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** How long `reset` waits for the device to see the last link go, ms. */
const LINK_GONE_TIMEOUT_MS = 10_000;

export async function startBleWorld(
  cloud: FaultCloud,
  options: {
    deviceId: string;
    serial: string;
    /** ATT_MTU asked by the phone and granted by the device. */
    mtu: number;
    wifi?: WifiBackend;
    fleet?: (real: FleetRunner) => FleetRunner;
  },
): Promise<BleWorld> {
  const air = new Air();
  setDefaultAir(air);
  const bleno = loadBleno('virtual', { maxMtu: options.mtu });
  const noble = loadNoble('virtual', { mtu: options.mtu });
  await poweredOn(noble);
  const code = generateSetupCode(random);
  const verifier = makeVerifier({ deviceId: options.deviceId, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  const stateDir = mkdtempSync(join(cloud.fx.dir, 'device-'));
  const wifi = new SimWifi([NET, { ssid: 'cafe' }]);
  const skew = { ms: 0 };
  const clock = (): number => Date.now() + skew.ms;
  const device = makeDevice({
    stateDir,
    wifi: options.wifi ?? wifi,
    caPem: cloud.emu.caPem,
    serial: options.serial,
    clock,
    ...(options.fleet ? { fleet: options.fleet } : {}),
  });
  await device.agent.start();
  const server = new ProvisioningGattServer({
    bleno,
    agent: device.agent,
    verifier,
    attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
    random,
  });
  await server.start();
  return {
    air,
    noble,
    bleno,
    deviceId: options.deviceId,
    setupCode: formatSetupCode(code),
    serial: options.serial,
    stateDir,
    device,
    wifi,
    get clockSkewMs() {
      return skew.ms;
    },
    set clockSkewMs(ms: number) {
      skew.ms = ms;
    },
    connect: async () => NobleDeviceLink.connect(await findDevice(noble, options.deviceId)),
    reset: async () => {
      const end = Date.now() + LINK_GONE_TIMEOUT_MS;
      while (server.current !== undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      await device.agent.settled();
      if (device.agent.state !== 'idle') await device.agent.factoryReset();
      // The serial is provisioned again next: an operator decommissions the old registration first.
      await decommissionSerial(cloud.emu, options.serial);
    },
    stop: async () => {
      await server.stop();
      air.close();
    },
  };
}
