/** Where the air server listens unless told otherwise: the air owns it, the transports read it. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `npx tp-air` listens by default, and so where the device and the central look when
 * BLE_TRANSPORT is unset: one path all three agree on (`os.tmpdir()`: $TMPDIR, else /tmp).
 */
export function defaultAirSocket(): string {
  return join(tmpdir(), 'ble-air.sock');
}
