/** The usual way to build an AP config: SSID and WPA2 passphrase both derived from the device. */
import type { AccessPointConfigInput } from './config.js';
import { derivePassphrase, ssidForDevice } from './identity.js';

export type DeviceAccessPointOptions = Omit<AccessPointConfigInput, 'ssid' | 'security'> & {
  deviceId: string;
  /** At least 32 bytes; the label printer derives the same passphrase from it. */
  deviceSecret: Uint8Array;
  ssidPrefix?: string;
};

export function accessPointConfigForDevice(options: DeviceAccessPointOptions): AccessPointConfigInput {
  const { deviceId, deviceSecret, ssidPrefix, ...rest } = options;
  return {
    ...rest,
    ssid: ssidForDevice(deviceId, ssidPrefix),
    security: { mode: 'wpa2', passphrase: derivePassphrase(deviceSecret, deviceId) },
  };
}
