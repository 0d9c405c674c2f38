/**
 * H4 (UART transport, Core spec Vol 4 Part A) packet indicators and small HCI helpers shared by the
 * transports and the virtual air. An H4 packet is one indicator byte followed by an HCI packet.
 */

export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_SCO = 0x03;
export const H4_EVENT = 0x04;
export const H4_ISO = 0x05;

/** HCI opcode from its group (OGF) and command (OCF) fields (Vol 4 Part E 5.4.1). */
export function opcode(ogf: number, ocf: number): number {
  return (ogf << 10) | ocf;
}

/** Builds an H4 event packet: indicator, event code, parameter length, parameters. */
export function h4Event(code: number, params: Uint8Array): Buffer {
  const out = Buffer.alloc(3 + params.length);
  out[0] = H4_EVENT;
  out[1] = code;
  out[2] = params.length;
  out.set(params, 3);
  return out;
}

/** Builds an H4 command packet (what a host sends). */
export function h4Command(op: number, params: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(4 + params.length);
  out[0] = H4_COMMAND;
  out.writeUInt16LE(op, 1);
  out[3] = params.length;
  out.set(params, 4);
  return out;
}

/** Builds an H4 ACL data packet. `pb` is the Packet_Boundary flag (0b00, 0b01 or 0b10). */
export function h4Acl(handle: number, pb: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + data.length);
  out[0] = H4_ACL;
  out.writeUInt16LE((handle & 0x0fff) | ((pb & 0x3) << 12), 1);
  out.writeUInt16LE(data.length, 3);
  out.set(data, 5);
  return out;
}

/** "aa:bb:cc:dd:ee:ff" from the 6 little-endian bytes HCI carries. */
export function addressToString(le: Uint8Array): string {
  return Array.from(le)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(':');
}

/** The 6 little-endian bytes HCI carries for "aa:bb:cc:dd:ee:ff". */
export function addressFromString(text: string): Buffer {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`not a Bluetooth address: ${text}`);
  }
  return Buffer.from(parts.reverse().join(''), 'hex');
}
