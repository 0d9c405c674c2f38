import { fail } from './fail.js';

/** Longest device id in characters; it also travels in BLE advertising and the QR payload. */
export const DEVICE_ID_MAX_LENGTH = 32;
const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

/** Device ids are 1-32 characters of A-Z a-z 0-9 . _ - (no escaping needed anywhere they go). */
export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID_PATTERN.test(id);
}

export function assertDeviceId(id: string, code: 'SESSION_SETUP_CODE_INVALID' | 'CONFIG_INVALID'): string {
  if (!isValidDeviceId(id)) fail(code, `a device id is 1-${DEVICE_ID_MAX_LENGTH} characters of A-Z a-z 0-9 . _ -`);
  return id;
}
