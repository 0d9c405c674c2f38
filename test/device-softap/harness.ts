/**
 * Devices for the device-level SoftAP tests: `startDevice` from a real configuration (its own
 * temp state dir, verifier and simulated Wi-Fi, trusting the emulator's CA) and a phone that
 * logs in once and provisions over HTTP or BLE with the central code.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceLink } from '../../central/engine/index.js';
import { provisionDevice } from '../../central/engine/index.js';
import type { ProvisionResult } from '../../central/engine/index.js';
import { claimMessage } from '../../central/cloud/claim-message.js';
import { CloudSession } from '../../central/cloud/cloud-session.js';
import { startDevice } from '../../apps/device/config/device.js';
import type { RunningDevice, StartDeviceOverrides } from '../../apps/device/config/device.js';
import { parseDeviceConfig } from '../../apps/device/config/schema.js';
import { makeSetupCode } from '../../peripheral/setup-code/index.js';
import { MIN_PBKDF2_ITERATIONS } from '../../protocol/session/index.js';
import { signInThroughPages } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';

export const NET = { ssid: 'home', passphrase: 'correct horse battery' };
export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface TestDevice {
  readonly id: string;
  readonly code: string;
  readonly stateDir: string;
  readonly device: RunningDevice;
  readonly log: string[];
}

export async function startTestDevice(
  fx: CentralFixture,
  id: string,
  options: { ble: string; softap: Record<string, unknown> },
  overrides: StartDeviceOverrides = {},
): Promise<TestDevice> {
  const dir = join(fx.dir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const made = await makeSetupCode({
    deviceId: id,
    transports: ['ble', 'softap'],
    outDir: join(dir, 'setup'),
    iterations: MIN_PBKDF2_ITERATIONS,
  });
  const config = parseDeviceConfig(
    {
      stateDir: join(dir, 'state'),
      verifierPath: made.verifierPath,
      serialNumber: `SN-${id}`,
      ble: { transport: options.ble },
      trust: { cloudJson: fx.emulator.cloudJsonPath },
      wifi: { backend: 'simulated', networks: [{ ...NET, rssi: -40 }] },
      softap: options.softap,
    },
    `${id}.json`,
    {},
  );
  const log: string[] = [];
  const device = await startDevice(config, (l) => log.push(l), overrides);
  return { id, code: made.formatted, stateDir: config.stateDir, device, log };
}

/** A logged-in phone: claims from the emulator and provisions over whatever link `connect` opens. */
export async function loggedInCloud(fx: CentralFixture, name: string): Promise<CloudSession> {
  const auth = fx.auth(name);
  await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
  return new CloudSession({ config: fx.config, idToken: () => auth.idToken() });
}

export function provision(
  cloud: CloudSession,
  fx: CentralFixture,
  d: { id: string; code: string },
  connect: () => Promise<DeviceLink>,
  maxAttempts = 3,
): Promise<ProvisionResult> {
  return provisionDevice(
    {
      deviceId: d.id,
      setupCode: d.code,
      wifi: NET,
      claim: async () => claimMessage(await cloud.claim(), fx.config),
    },
    { connect, random, maxAttempts },
  );
}

/** Waits for `check` (real time: the device's own timers run), up to `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
