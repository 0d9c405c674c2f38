import { describe, expect, it } from 'vitest';
import { MAX_RSSI_DBM, MIN_RSSI_DBM } from '../../protocol/index.js';
import { channelFromFrequency, toScanNetworks, UNKNOWN_CHANNEL } from './scan.js';

describe('toScanNetworks', () => {
  it("reports the tools' networks in the protocol's terms, in order, hidden SSIDs dropped", () => {
    expect(
      toScanNetworks([
        { ssid: 'Home', rssi: -59.4, security: 'wpa2-psk', frequencyMhz: 2437 },
        { ssid: '', rssi: -60, security: 'open', channel: 1 },
        { ssid: 'Café', rssi: -200, security: 'wpa3-sae', frequencyMhz: 5180 },
        { ssid: 'Odd', rssi: 10, security: 'wpa-psk', frequencyMhz: 3000 },
      ]),
    ).toEqual([
      { ssid: new TextEncoder().encode('Home'), rssi: -59, security: 'wpa2', channel: 6 },
      { ssid: new TextEncoder().encode('Café'), rssi: MIN_RSSI_DBM, security: 'wpa3', channel: 36 },
      { ssid: new TextEncoder().encode('Odd'), rssi: MAX_RSSI_DBM, security: 'wpa', channel: UNKNOWN_CHANNEL },
    ]);
  });

  it('derives channels from 2.4, 5 and 6 GHz centre frequencies', () => {
    expect([2412, 2472, 2484, 5180, 5825, 5955, 7115, 900].map(channelFromFrequency)).toEqual([
      1,
      13,
      14,
      36,
      165,
      1,
      233,
      undefined,
    ]);
  });
});
