/**
 * Link-layer timing used to decide when ACL data arrives (Core spec Vol 6 Part B 2.1 and 4.1).
 * An LL data PDU on air is preamble + access address (4) + header (2) + payload + CRC (3), without
 * a MIC because nothing is encrypted over H4 (BLE-NOTES.md). Packets are separated by T_IFS.
 */

export type Phy = '1M' | '2M';

/** Inter-frame space between packets in a connection event, µs (Vol 6 Part B 4.1.1). */
export const T_IFS_US = 150;
/** LL data PDU payload bounds, octets: 27 without and 251 with Data Length Extension. */
export const MIN_LL_OCTETS = 27;
export const MAX_LL_OCTETS = 251;
/** Connection interval unit of HCI parameters, µs (1.25 ms). */
export const INTERVAL_UNIT_US = 1250;

const BITS_PER_US: Record<Phy, number> = { '1M': 1, '2M': 2 };
const PREAMBLE_OCTETS: Record<Phy, number> = { '1M': 1, '2M': 2 };
const LL_OVERHEAD_OCTETS = 4 + 2 + 3;

/** Time on air of one LL data PDU carrying `payload` octets (0 = an empty PDU), µs. */
export function pduAirTimeUs(payload: number, phy: Phy): number {
  return ((PREAMBLE_OCTETS[phy] + LL_OVERHEAD_OCTETS + payload) * 8) / BITS_PER_US[phy];
}

/** How many LL PDUs a payload of `octets` takes at `maxOctets` per PDU (an empty payload still takes one). */
export function pduCount(octets: number, maxOctets: number): number {
  return Math.max(1, Math.ceil(octets / maxOctets));
}
