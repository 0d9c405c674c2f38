import type { Peripheral } from '@abandonware/noble';
import type { Noble } from '../index.js';
import {
  ADV_FLAG_SESSION_ACTIVE,
  ADV_ID_TAG_BYTES,
  ADV_NAME_MAX_CHARS,
  deviceIdTag,
  ProvisioningError,
  SERVICE_UUID,
  compactUuid,
  stateFromCode,
} from '../../protocol/index.js';
import type { ProvisioningState } from '../../protocol/index.js';
import type { Timers } from '../../protocol/index.js';
import { FIND_TIMEOUT_MS, SCAN_DURATION_MS, delay, systemTimers, withTimeout } from '../../central/engine/index.js';

/** How long to wait for the controller to power on, ms. */
export const POWER_ON_TIMEOUT_MS = 10_000;

const SERVICE = compactUuid(SERVICE_UUID);

/** A provisioning device seen in an advertisement (PROTOCOL.md §3). */
export interface FoundDevice {
  /** The advertised name: the device id, or its first 8 characters. */
  name: string;
  address: string;
  rssi: number;
  /** From the scan response's service data; undefined if the device sent none yet. */
  state?: ProvisioningState;
  /** Another phone is in session with it. */
  busy: boolean;
  /** The device id tag from the service data (PROTOCOL.md §3); undefined before the scan response. */
  idTag?: Uint8Array;
  peripheral: Peripheral;
}

/** Reads our service data (state code, version << 4 | flags) from noble's parsed advertisement. */
export function foundDevice(p: Peripheral): FoundDevice | undefined {
  const adv = p.advertisement;
  const listed = (adv.serviceUuids ?? []).includes(SERVICE) || (adv.serviceData ?? []).some((d) => d.uuid === SERVICE);
  if (!listed) return undefined;
  const data = (adv.serviceData ?? []).find((d) => d.uuid === SERVICE)?.data;
  // Our service data starts with the state code and the version/flags byte; shorter data has neither.
  const [code, flags] = data && data.length >= 2 ? data : [];
  const state = code !== undefined ? stateFromCode(code) : undefined;
  return {
    name: adv.localName ?? '',
    address: p.address,
    rssi: p.rssi,
    ...(state !== undefined ? { state } : {}),
    busy: flags !== undefined && (flags & ADV_FLAG_SESSION_ACTIVE) !== 0,
    ...(data && data.length >= 2 + ADV_ID_TAG_BYTES
      ? { idTag: new Uint8Array(data.subarray(2, 2 + ADV_ID_TAG_BYTES)) }
      : {}),
    peripheral: p,
  };
}

/**
 * Whether a found device can be `deviceId` (PROTOCOL.md §3). noble does not say whether the name was
 * complete or shortened, so: the name is the id or (8 characters) its prefix, and the id tag, when
 * the scan response brought one, matches — ids sharing their first 8 characters are told apart.
 * Without a tag only an unambiguous complete name (shorter than 8 characters) matches.
 */
export function nameMatches(found: Pick<FoundDevice, 'name' | 'idTag'>, deviceId: string): boolean {
  const { name, idTag } = found;
  const fits = name === deviceId || (name.length === ADV_NAME_MAX_CHARS && deviceId.startsWith(name));
  if (!fits) return false;
  if (idTag) return idTag.length === ADV_ID_TAG_BYTES && idTag.every((b, i) => b === deviceIdTag(deviceId)[i]);
  return name === deviceId && name.length < ADV_NAME_MAX_CHARS;
}

export async function poweredOn(noble: Noble, timers: Timers = systemTimers): Promise<void> {
  const n = noble as unknown as {
    state?: string;
    _state?: string;
    once(e: 'stateChange', l: (s: string) => void): unknown;
  };
  const ready = (): boolean => n.state === 'poweredOn' || n._state === 'poweredOn';
  if (ready()) return;
  await withTimeout(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (ready()) resolve();
        else n.once('stateChange', check);
      };
      n.once('stateChange', check);
    }),
    POWER_ON_TIMEOUT_MS,
    () =>
      new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `the adapter did not power on within ${POWER_ON_TIMEOUT_MS} ms`,
      }),
    timers,
  );
}

/** Listens for advertisements of the provisioning service for `durationMs`; strongest first. */
export async function scanDevices(
  noble: Noble,
  durationMs = SCAN_DURATION_MS,
  timers: Timers = systemTimers,
): Promise<FoundDevice[]> {
  await poweredOn(noble, timers);
  const seen = new Map<string, FoundDevice>();
  const onDiscover = (p: Peripheral): void => {
    const d = foundDevice(p);
    if (d) seen.set(p.id, d);
  };
  noble.on('discover', onDiscover);
  try {
    await noble.startScanningAsync([SERVICE], true);
    await delay(durationMs, timers);
  } finally {
    noble.removeListener('discover', onDiscover);
    // Fails only when scanning never started or the adapter is gone; the scan's own outcome is what counts.
    await noble.stopScanningAsync().catch(() => undefined);
  }
  return [...seen.values()].sort((a, b) => b.rssi - a.rssi);
}

/** Scans until a device whose advertised name matches `deviceId` shows up; DEVICE_NOT_FOUND after the timeout. */
export async function findDevice(
  noble: Noble,
  deviceId: string,
  timeoutMs = FIND_TIMEOUT_MS,
  timers: Timers = systemTimers,
): Promise<Peripheral> {
  await poweredOn(noble, timers);
  let onDiscover: ((p: Peripheral) => void) | undefined;
  const found = new Promise<Peripheral>((resolve) => {
    onDiscover = (p: Peripheral): void => {
      const d = foundDevice(p);
      if (d && nameMatches(d, deviceId)) resolve(p);
    };
    noble.on('discover', onDiscover);
  });
  try {
    await noble.startScanningAsync([SERVICE], true);
    return await withTimeout(
      found,
      timeoutMs,
      () =>
        new ProvisioningError('DEVICE_NOT_FOUND', { detail: `${deviceId} did not advertise within ${timeoutMs} ms` }),
      timers,
    );
  } finally {
    if (onDiscover) noble.removeListener('discover', onDiscover);
    // Fails only when scanning never started or the adapter is gone; the scan's own outcome is what counts.
    await noble.stopScanningAsync().catch(() => undefined);
  }
}
