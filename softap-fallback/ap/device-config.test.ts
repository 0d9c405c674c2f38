import { describe, expect, it } from 'vitest';
import { resolveAccessPointConfig } from './config.js';
import { accessPointConfigForDevice } from './device-config.js';
import { derivePassphrase } from './identity.js';

describe('accessPointConfigForDevice', () => {
  it('derives SSID and passphrase from the device and keeps the other settings', () => {
    const secret = new Uint8Array(32).fill(7);
    const input = accessPointConfigForDevice({
      deviceId: 'pi-00af3c',
      deviceSecret: secret,
      interface: 'wlan0',
      countryCode: 'GB',
      channel: 1,
    });
    expect(input).toEqual({
      interface: 'wlan0',
      countryCode: 'GB',
      channel: 1,
      ssid: 'Setup-pi-00af3c',
      security: { mode: 'wpa2', passphrase: derivePassphrase(secret, 'pi-00af3c') },
    });
    expect(resolveAccessPointConfig(input).channel).toBe(1);
  });
});
