/**
 * The app's conversations with a device, all through the Web Bluetooth link (ble/web) and the
 * engine the CLI uses (central/engine): read `info`; a short session to check the setup code and
 * fetch the Wi-Fi scan (closed at once, so the device is free while the person picks a network);
 * then `provisionDevice` on a fresh session, reconnecting to the same chosen device after a drop.
 */
import { DeviceSession, provisionDevice } from '../../../central/engine/index.js';
import type { ProvisionHooks, ProvisionResult, WifiSettings } from '../../../central/engine/index.js';
import { connectWebBluetooth } from '../../../ble/web/index.js';
import { IN_PROGRESS_STATES } from '../../../protocol/index.js';
import type { ProvisioningError } from '../../../protocol/index.js';
import type { ClaimMessage, InfoMessage, ScanNetwork } from '../../../protocol/index.js';
import type { RandomSource } from '../../../protocol/session/index.js';

/** Randomness for the handshake: the browser's CSPRNG. */
export const browserRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));

/** Connects, reads `info` (id, state, features), disconnects. */
export async function readDeviceInfo(device: BluetoothDevice): Promise<InfoMessage> {
  const link = await connectWebBluetooth(device);
  try {
    return await new DeviceSession(link, { now: Date.now, random: browserRandom }).readInfo();
  } finally {
    await link.close();
  }
}

/** Opens a session with the setup code (a wrong one fails here, SESSION_AUTH_FAILED), scans, closes. */
export async function checkCodeAndScan(
  device: BluetoothDevice,
  deviceId: string,
  setupCode: string,
): Promise<readonly ScanNetwork[]> {
  const link = await connectWebBluetooth(device);
  try {
    const session = new DeviceSession(link, { now: Date.now, random: browserRandom });
    const info = await session.readInfo();
    await session.handshake(setupCode, deviceId);
    if (info.state === 'provisioned' || IN_PROGRESS_STATES.includes(info.state)) return [];
    return info.features.includes('wifiScan') ? (await session.scan()).networks : [];
  } finally {
    await link.close();
  }
}

export interface ProvisionRequest {
  readonly deviceId: string;
  readonly setupCode: string;
  readonly wifi: WifiSettings;
  /** Called right before the claim is sent: a claim with at least a minute left (CloudSession). */
  readonly claim: () => Promise<ClaimMessage>;
  /** Asked when the device could not join with `wifi`: other settings for the same session, or undefined to give up. */
  readonly retryWifi: (error: ProvisioningError) => Promise<WifiSettings | undefined>;
}

export function provisionOverBluetooth(
  device: BluetoothDevice,
  request: ProvisionRequest,
  hooks: ProvisionHooks,
): Promise<ProvisionResult> {
  return provisionDevice({ ...request }, { connect: () => connectWebBluetooth(device), random: browserRandom, hooks });
}
