import { describe, expect, it } from 'vitest';
import {
  ADV_ID_TAG_BYTES,
  ADV_NAME_MAX_CHARS,
  AD_COMPLETE_NAME,
  AD_SHORTENED_NAME,
  LEGACY_ADV_MAX_BYTES,
  advertisedName,
  advertisementNames,
  buildAdvertisement,
  deviceIdTag,
  parseAdStructures,
  parseAdvertisement,
  uuidToAdBytes,
} from './advertisement.js';
import { UsageError } from './errors.js';
import {
  CHARACTERISTICS,
  CHARACTERISTIC_NAMES,
  CHANNEL,
  SERVICE_UUID,
  characteristicByChannel,
  compactUuid,
} from './gatt.js';
import { PROVISIONING_STATE_NAMES } from './states.js';

describe('GATT layout', () => {
  it('has one 128-bit service and seven characteristics with distinct UUIDs and channels', () => {
    expect(SERVICE_UUID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const uuids = new Set([SERVICE_UUID, ...CHARACTERISTIC_NAMES.map((n) => CHARACTERISTICS[n].uuid)]);
    expect(uuids.size).toBe(8);
    const channels = CHARACTERISTIC_NAMES.map((n) => CHARACTERISTICS[n].channel);
    expect(new Set(channels).size).toBe(7);
    expect(channels).not.toContain(0);
    for (const n of CHARACTERISTIC_NAMES) expect(characteristicByChannel(CHANNEL[n])?.name).toBe(n);
    expect(characteristicByChannel(0)).toBeUndefined();
    expect(compactUuid(SERVICE_UUID)).toHaveLength(32);
  });

  it('seals every characteristic except info and session', () => {
    expect(CHARACTERISTIC_NAMES.filter((n) => !CHARACTERISTICS[n].sealed)).toEqual(['info', 'session']);
  });
});

describe('advertisement', () => {
  it('fits legacy advertising for every device id length and state', () => {
    for (let len = 1; len <= 32; len++) {
      for (const state of PROVISIONING_STATE_NAMES) {
        const { advertisingData, scanResponse } = buildAdvertisement({
          deviceId: 'd'.repeat(len),
          state,
          sessionActive: true,
          softapActive: true,
        });
        expect(advertisingData.length).toBe(3 + 18 + 2 + Math.min(len, ADV_NAME_MAX_CHARS));
        expect(advertisingData.length).toBeLessThanOrEqual(LEGACY_ADV_MAX_BYTES);
        expect(scanResponse.length).toBe(2 + 16 + 2 + ADV_ID_TAG_BYTES);
        expect(scanResponse.length).toBeLessThanOrEqual(LEGACY_ADV_MAX_BYTES);
      }
    }
  });

  it('lays out the bytes as PROTOCOL.md §3 says', () => {
    const { advertisingData, scanResponse } = buildAdvertisement({
      deviceId: 'pi-kitchen',
      state: 'wifiConnecting',
      sessionActive: true,
    });
    const uuid = Array.from(uuidToAdBytes(SERVICE_UUID), (b) => b.toString(16).padStart(2, '0')).join('');
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    expect(hex(advertisingData)).toBe(`020106` + `1107${uuid}` + `0908` + hex(new TextEncoder().encode('pi-kitch')));
    expect(hex(scanResponse)).toBe(`1721${uuid}0211` + hex(deviceIdTag('pi-kitchen')));
    expect(uuid.startsWith('390a1d2c7e5b')).toBe(true); // little-endian: the UUID's last byte first
  });

  it('parses its own advertisement back, complete and shortened names', () => {
    const short = buildAdvertisement({ deviceId: 'pi-k', state: 'idle' });
    expect(parseAdvertisement(short.advertisingData, short.scanResponse)).toEqual({
      localName: 'pi-k',
      nameComplete: true,
      state: 'idle',
      stateCode: 0,
      version: 1,
      sessionActive: false,
      softapActive: false,
      idTag: deviceIdTag('pi-k'),
    });
    const long = buildAdvertisement({ deviceId: 'pi-kitchen-2', state: 'provisioned', softapActive: true });
    const parsed = parseAdvertisement(long.advertisingData, long.scanResponse)!;
    expect(parsed.localName).toBe('pi-kitch');
    expect(parsed.nameComplete).toBe(false);
    expect(parsed.softapActive).toBe(true);
    expect(advertisedName('abcdefgh')).toEqual({ name: 'abcdefgh', complete: true });
    expect(parseAdStructures(long.advertisingData)!.at(-1)!.type).toBe(AD_SHORTENED_NAME);
    expect(parseAdStructures(short.advertisingData)!.at(-1)!.type).toBe(AD_COMPLETE_NAME);
  });

  it('ignores foreign and malformed advertisements without throwing', () => {
    expect(parseAdvertisement(Uint8Array.of(2, 1, 6, 3, 3, 0x0f, 0x18))).toBeUndefined();
    expect(parseAdvertisement(Uint8Array.of(30, 7, 1))).toBeUndefined();
    const ours = buildAdvertisement({ deviceId: 'x', state: 'idle' });
    expect(parseAdvertisement(ours.advertisingData)?.state).toBeUndefined(); // no scan response yet
    expect(parseAdvertisement(ours.advertisingData, Uint8Array.of(5, 0x21, 1))?.state).toBeUndefined();
  });

  it('tells apart ids that share their first 8 characters by the id tag, without connecting', () => {
    // The tag is SHA-256("tup-adv-id:" || id)[0..4]: pinned so both sides and other implementations agree.
    expect(Array.from(deviceIdTag('pi-kitchen'), (b) => b.toString(16).padStart(2, '0')).join('')).toBe(TAG_PI_KITCHEN);
    const one = parseAdvertisement(...payloads('pi-kitchen-1'))!;
    const two = parseAdvertisement(...payloads('pi-kitchen-2'))!;
    expect(one.localName).toBe(two.localName);
    expect(advertisementNames(one, 'pi-kitchen-1')).toBe(true);
    expect(advertisementNames(one, 'pi-kitchen-2')).toBe(false);
    expect(advertisementNames(two, 'pi-kitchen-2')).toBe(true);
    // A shortened name before the scan response (no tag yet) matches nothing: wait rather than guess.
    expect(advertisementNames(parseAdvertisement(payloads('pi-kitchen-1')[0])!, 'pi-kitchen-1')).toBe(false);
    // A complete name matches only itself, and a tag from another id vetoes it.
    const short = parseAdvertisement(...payloads('pi-k'))!;
    expect(advertisementNames(short, 'pi-k')).toBe(true);
    expect(advertisementNames(short, 'pi-kx')).toBe(false);
    expect(advertisementNames({ ...short, idTag: deviceIdTag('other') }, 'pi-k')).toBe(false);
  });

  it('refuses an invalid device id', () => {
    expect(() => buildAdvertisement({ deviceId: 'bad id', state: 'idle' })).toThrow(UsageError);
    expect(() => buildAdvertisement({ deviceId: '', state: 'idle' })).toThrow(UsageError);
  });
});

const TAG_PI_KITCHEN = '30662157';

function payloads(deviceId: string): [Uint8Array, Uint8Array] {
  const { advertisingData, scanResponse } = buildAdvertisement({ deviceId, state: 'idle' });
  return [advertisingData, scanResponse];
}
