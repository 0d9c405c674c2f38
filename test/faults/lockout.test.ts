/**
 * Fault: wrong setup codes up to the lock-out, against the product's device process (its attempt
 * counter is a file in the state directory). The phone sees SESSION_AUTH_FAILED for each of the
 * free failures, then SESSION_LOCKED_OUT; the right code is refused too while the lock-out runs,
 * and a device restart does not lift it. Nothing is provisioned; nothing is half-written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNoble, startAir } from '../../ble/index.js';
import type { AirServer, Noble } from '../../ble/index.js';
import { provisionDevice } from '../../central/engine/index.js';
import { findDevice, NobleDeviceLink, poweredOn } from '../../ble/central/index.js';
import { ATTEMPTS_FILE } from '../../apps/device/config/device.js';
import { DEFAULT_ATTEMPT_POLICY, formatSetupCode, generateSetupCode } from '../../protocol/session/index.js';
import { random } from './ble-device.js';
import { startChildDevice, stopAllChildDevices } from './child-device.js';
import type { ChildDevice } from './child-device.js';
import { certificateIds, expectNothingHalfWritten, expectNothingProvisioned, NET, startFaultCloud } from './world.js';
import type { FaultCloud } from './world.js';

let cloud: FaultCloud;
let airServer: AirServer;
let noble: Noble;
let d: ChildDevice;

beforeAll(async () => {
  cloud = await startFaultCloud('lockout');
  airServer = await startAir({ tcp: { port: 0 } });
  noble = loadNoble(airServer.spec, { mtu: 247 });
  await poweredOn(noble);
  d = await startChildDevice(cloud, airServer.spec, 'pi-lock', 'SN-LOCK');
}, 60_000);

afterAll(async () => {
  await stopAllChildDevices();
  await airServer?.close();
  await cloud?.close();
});

/** One phone attempt with `setupCode`; resolves with the code it ended with. */
async function attempt(setupCode: string): Promise<string> {
  try {
    const r = await provisionDevice(
      { deviceId: d.deviceId, setupCode, wifi: NET, claim: () => cloud.claim() },
      {
        connect: async () => NobleDeviceLink.connect(await findDevice(noble, d.deviceId)),
        random,
        maxAttempts: 1,
      },
    );
    return `provisioned ${r.thingName}`;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('wrong setup code up to lock-out', () => {
  it('SESSION_AUTH_FAILED for each free failure, then SESSION_LOCKED_OUT, for the right code too, and over a restart', async () => {
    const before = certificateIds(cloud.emu);
    let wrong = formatSetupCode(generateSetupCode(random));
    while (wrong === d.setupCode) wrong = formatSetupCode(generateSetupCode(random));

    const seen: string[] = [];
    for (let i = 0; i < DEFAULT_ATTEMPT_POLICY.freeFailures; i++) seen.push(await attempt(wrong));
    expect(seen).toEqual(Array.from({ length: DEFAULT_ATTEMPT_POLICY.freeFailures }, () => 'SESSION_AUTH_FAILED'));
    expect(await attempt(wrong)).toBe('SESSION_LOCKED_OUT');
    // The right code cannot get in while the lock-out runs: a guesser learns nothing from trying it.
    expect(await attempt(d.setupCode)).toBe('SESSION_LOCKED_OUT');

    // The count is on disk, owner-only, and survives a restart (a power cycle does not reset it).
    const counter = JSON.parse(readFileSync(join(d.stateDir, ATTEMPTS_FILE), 'utf8')) as {
      failures: number;
      lockedUntilMs: number;
    };
    expect(counter.failures).toBeGreaterThanOrEqual(DEFAULT_ATTEMPT_POLICY.freeFailures);
    expect(counter.lockedUntilMs).toBeGreaterThan(Date.now());
    await d.stop();
    await d.restart();
    expect(await attempt(d.setupCode)).toBe('SESSION_LOCKED_OUT');
    await d.kill();
    await d.restart();
    expect(await attempt(d.setupCode)).toBe('SESSION_LOCKED_OUT');

    await expectNothingProvisioned(cloud.emu, d.stateDir, d.serial, before, 'lock-out');
    await expectNothingHalfWritten(d.stateDir, 'lock-out');
  }, 120_000);
});
