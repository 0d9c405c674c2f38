/** HCI events the air sends to hosts (Core spec Vol 4 Part E 7.7). */
import { h4Event } from '../h4/index.js';
import { EVT, LE_SUBEVENT, STATUS, leMeta } from './hci.js';

/** Command Complete: one command credit, the opcode, the status, then the return parameters. */
export function commandComplete(op: number, status: number, returnParams: Buffer): Buffer {
  const p = Buffer.alloc(4 + returnParams.length);
  p[0] = 1; // Num_HCI_Command_Packets
  p.writeUInt16LE(op, 1);
  p[3] = status;
  returnParams.copy(p, 4);
  return h4Event(EVT.COMMAND_COMPLETE, p);
}

/** Command Status: the status, one command credit, the opcode. */
export function commandStatus(op: number, status: number): Buffer {
  const p = Buffer.alloc(4);
  p[0] = status;
  p[1] = 1; // Num_HCI_Command_Packets
  p.writeUInt16LE(op, 2);
  return h4Event(EVT.COMMAND_STATUS, p);
}

export function advertisingReport(type: number, address: Buffer, data: Buffer, rssi: number): Buffer {
  const p = Buffer.alloc(10 + data.length + 1);
  p[0] = 1; // one report per event: noble reads only the first reliably
  p[1] = type;
  p[2] = 0x00; // public address
  address.copy(p, 3);
  p[9] = data.length;
  data.copy(p, 10);
  p.writeInt8(Math.max(-127, Math.min(20, Math.round(rssi))), 10 + data.length);
  return leMeta(LE_SUBEVENT.ADVERTISING_REPORT, p);
}

export function connectionComplete(
  status: number,
  handle: number,
  role: number,
  peer: Buffer,
  intervalUnits: number,
  timeoutUnits: number,
): Buffer {
  const p = Buffer.alloc(18);
  p[0] = status;
  p.writeUInt16LE(handle, 1);
  p[3] = role;
  p[4] = 0x00;
  peer.copy(p, 5);
  p.writeUInt16LE(intervalUnits, 11);
  p.writeUInt16LE(0, 13);
  p.writeUInt16LE(timeoutUnits, 15);
  p[17] = 0x00;
  return leMeta(LE_SUBEVENT.CONNECTION_COMPLETE, p);
}

export function disconnectionComplete(handle: number, reason: number): Buffer {
  const p = Buffer.alloc(4);
  p[0] = STATUS.SUCCESS;
  p.writeUInt16LE(handle, 1);
  p[3] = reason;
  return h4Event(EVT.DISCONNECTION_COMPLETE, p);
}

export function completedPackets(handle: number, count: number): Buffer {
  const p = Buffer.alloc(5);
  p[0] = 1;
  p.writeUInt16LE(handle, 1);
  p.writeUInt16LE(count, 3);
  return h4Event(EVT.NUMBER_OF_COMPLETED_PACKETS, p);
}
