/**
 * A minimal raw ATT client for conformance tests: a host of its own on the virtual air (a second
 * controller, as noble's side is), speaking HCI, L2CAP and ATT itself so that every PDU the server
 * sends is seen as it is. noble hides PDUs (it matches responses to requests and drops the rest),
 * which is exactly what hid bleno's stray Error Responses.
 *
 * Only what the tests need: LE Create Connection, ACL with fragmentation and reassembly and
 * Number Of Completed Packets flow control, the ATT fixed channel (CID 0x0004), Disconnect.
 */
import type { Air } from '../../ble/index.js';
import type { VirtualController } from '../../ble/air/controller.js';
import { EVT, LE_SUBEVENT, OP } from '../../ble/air/hci.js';
import { H4_ACL, H4_EVENT, addressFromString, h4Acl, h4Command } from '../../ble/h4/packets.js';

/** ATT opcodes and error codes (Core spec Vol 3 Part F 3.4.8, Table 3.4). */
export const ATT = {
  ERROR_RSP: 0x01,
  MTU_REQ: 0x02,
  MTU_RSP: 0x03,
  READ_BY_TYPE_REQ: 0x08,
  READ_BY_TYPE_RSP: 0x09,
  READ_REQ: 0x0a,
  READ_RSP: 0x0b,
  WRITE_REQ: 0x12,
  WRITE_RSP: 0x13,
  PREPARE_WRITE_REQ: 0x16,
  PREPARE_WRITE_RSP: 0x17,
  EXECUTE_WRITE_REQ: 0x18,
  EXECUTE_WRITE_RSP: 0x19,
  WRITE_CMD: 0x52,
  SIGNED_WRITE_CMD: 0xd2,
} as const;

export const ATT_ERROR = {
  INVALID_HANDLE: 0x01,
  WRITE_NOT_PERMITTED: 0x03,
  INVALID_PDU: 0x04,
  PREPARE_QUEUE_FULL: 0x09,
  ATTRIBUTE_NOT_FOUND: 0x0a,
  INVALID_ATTRIBUTE_VALUE_LENGTH: 0x0d,
} as const;

const ATT_CID = 0x0004;
const L2CAP_HEADER = 4;
/** Packet_Boundary flags (Vol 4 Part E 5.4.2). */
const PB_FIRST_NON_FLUSHABLE = 0b00;
const PB_CONTINUING = 0b01;
const PB_FIRST_FLUSHABLE = 0b10;
const REMOTE_USER_TERMINATED = 0x13;

export interface AttError {
  request: number;
  handle: number;
  code: number;
}

/** The parts of an Error Response PDU, or undefined when `pdu` is something else. */
export function errorOf(pdu: Buffer): AttError | undefined {
  if (pdu[0] !== ATT.ERROR_RSP || pdu.length !== 5) return undefined;
  return { request: pdu[1]!, handle: pdu.readUInt16LE(2), code: pdu[4]! };
}

export const pdu = {
  exchangeMtu: (mtu: number): Buffer => u8u16(ATT.MTU_REQ, mtu),
  read: (handle: number): Buffer => u8u16(ATT.READ_REQ, handle),
  write: (handle: number, value: Buffer): Buffer => Buffer.concat([u8u16(ATT.WRITE_REQ, handle), value]),
  writeCommand: (handle: number, value: Buffer): Buffer => Buffer.concat([u8u16(ATT.WRITE_CMD, handle), value]),
  /** Signed Write Command with a zeroed 12-octet signature (the server cannot check it anyway). */
  signedWriteCommand: (handle: number, value: Buffer): Buffer =>
    Buffer.concat([u8u16(ATT.SIGNED_WRITE_CMD, handle), value, Buffer.alloc(12)]),
  prepareWrite: (handle: number, offset: number, part: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head[0] = ATT.PREPARE_WRITE_REQ;
    head.writeUInt16LE(handle, 1);
    head.writeUInt16LE(offset, 3);
    return Buffer.concat([head, part]);
  },
  executeWrite: (flags: 0 | 1): Buffer => Buffer.from([ATT.EXECUTE_WRITE_REQ, flags]),
  readByType: (start: number, end: number, uuid16: number): Buffer => {
    const p = Buffer.alloc(7);
    p[0] = ATT.READ_BY_TYPE_REQ;
    p.writeUInt16LE(start, 1);
    p.writeUInt16LE(end, 3);
    p.writeUInt16LE(uuid16, 5);
    return p;
  },
};

function u8u16(op: number, v: number): Buffer {
  const b = Buffer.alloc(3);
  b[0] = op;
  b.writeUInt16LE(v, 1);
  return b;
}

export interface CharacteristicDeclaration {
  properties: number;
  valueHandle: number;
  /** UUID as bleno spells it: lower-case hex, most significant byte first, no dashes. */
  uuid: string;
}

interface Waiter {
  resolve(p: Buffer): void;
  reject(e: Error): void;
}

export class RawAttClient {
  private readonly controller: VirtualController;
  private handle: number | undefined;
  private credits: number;
  private readonly outbox: Buffer[] = [];
  private readonly inbox: Buffer[] = [];
  private readonly waiters: Waiter[] = [];
  private partial: Buffer | undefined;
  private closedReason: number | undefined;
  private onConnected: ((handle: number, status: number) => void) | undefined;
  private onDisconnected: (() => void) | undefined;
  /** Every ATT PDU received, in order (for asserting that nothing else arrived). */
  readonly received: Buffer[] = [];

  private constructor(private readonly air: Air) {
    this.controller = air.attach((packet) => this.fromController(packet));
    this.credits = air.aclBuffer.count;
  }

  /** Connects to the advertising peripheral at `address`; ATT_MTU starts at 23. */
  static async connect(air: Air, address: string): Promise<RawAttClient> {
    const client = new RawAttClient(air);
    const p = Buffer.alloc(25);
    p.writeUInt16LE(0x0060, 0); // scan interval
    p.writeUInt16LE(0x0030, 2); // scan window
    p[4] = 0x00; // no accept list
    p[5] = 0x00; // public peer address
    addressFromString(address).copy(p, 6);
    p[12] = 0x00; // own address public
    p.writeUInt16LE(24, 13); // interval min, 1.25 ms units (30 ms)
    p.writeUInt16LE(24, 15); // interval max
    p.writeUInt16LE(0, 17); // latency
    p.writeUInt16LE(200, 19); // supervision timeout, 10 ms units
    const connected = new Promise<number>((resolve, reject) => {
      client.onConnected = (handle, status) =>
        status === 0 ? resolve(handle) : reject(new Error(`LE Connection Complete status 0x${status.toString(16)}`));
    });
    client.command(OP.LE_CREATE_CONN, p);
    client.handle = await connected;
    return client;
  }

  get connected(): boolean {
    return this.handle !== undefined && this.closedReason === undefined;
  }

  /** Sends one ATT PDU (any length: L2CAP carries it in as many ACL fragments as needed). */
  send(att: Buffer): void {
    if (!this.connected) throw new Error('not connected');
    const l2cap = Buffer.alloc(L2CAP_HEADER + att.length);
    l2cap.writeUInt16LE(att.length, 0);
    l2cap.writeUInt16LE(ATT_CID, 2);
    att.copy(l2cap, L2CAP_HEADER);
    const max = this.air.aclBuffer.octets;
    for (let i = 0; i < l2cap.length; i += max) {
      this.outbox.push(
        h4Acl(this.handle!, i === 0 ? PB_FIRST_NON_FLUSHABLE : PB_CONTINUING, l2cap.subarray(i, i + max)),
      );
    }
    this.flush();
  }

  /** The next ATT PDU from the server, in arrival order; rejects if the link drops first. */
  next(): Promise<Buffer> {
    const ready = this.inbox.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closedReason !== undefined) return Promise.reject(this.disconnectedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Sends a request and returns the next PDU received, whatever it is. */
  async request(att: Buffer): Promise<Buffer> {
    this.send(att);
    return this.next();
  }

  /** Exchange MTU; returns the ATT_MTU now in force (the smaller of both Rx MTUs, 3.4.2.2). */
  async exchangeMtu(clientRxMtu: number): Promise<number> {
    const rsp = await this.request(pdu.exchangeMtu(clientRxMtu));
    if (rsp[0] !== ATT.MTU_RSP) throw new Error(`Exchange MTU answered with ${rsp.toString('hex')}`);
    return Math.min(clientRxMtu, rsp.readUInt16LE(1));
  }

  /** Discovers all characteristic declarations (Read By Type 0x2803 until Attribute Not Found). */
  async characteristics(): Promise<CharacteristicDeclaration[]> {
    const found: CharacteristicDeclaration[] = [];
    let start = 0x0001;
    while (start <= 0xffff) {
      const rsp = await this.request(pdu.readByType(start, 0xffff, 0x2803));
      if (errorOf(rsp)?.code === ATT_ERROR.ATTRIBUTE_NOT_FOUND) break;
      if (rsp[0] !== ATT.READ_BY_TYPE_RSP) throw new Error(`Read By Type answered with ${rsp.toString('hex')}`);
      const size = rsp[1]!;
      let last = start;
      for (let o = 2; o + size <= rsp.length; o += size) {
        last = rsp.readUInt16LE(o);
        found.push({
          properties: rsp[o + 2]!,
          valueHandle: rsp.readUInt16LE(o + 3),
          uuid: Buffer.from(rsp.subarray(o + 5, o + size))
            .reverse()
            .toString('hex'),
        });
      }
      start = last + 1;
    }
    return found;
  }

  /** Disconnects (reason 0x13) and waits for Disconnection Complete. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    const done = new Promise<void>((resolve) => (this.onDisconnected = resolve));
    const p = Buffer.alloc(3);
    p.writeUInt16LE(this.handle!, 0);
    p[2] = REMOTE_USER_TERMINATED;
    this.command(OP.DISCONNECT, p);
    await done;
    this.controller.detach();
  }

  private command(op: number, params: Buffer): void {
    this.controller.receive(h4Command(op, params));
  }

  private flush(): void {
    while (this.credits > 0 && this.outbox.length > 0) {
      this.credits--;
      this.controller.receive(this.outbox.shift()!);
    }
  }

  private fromController(packet: Buffer): void {
    if (packet[0] === H4_EVENT) this.event(packet[1]!, packet.subarray(3));
    else if (packet[0] === H4_ACL) this.acl(packet);
  }

  private event(code: number, p: Buffer): void {
    if (code === EVT.LE_META && p[0] === LE_SUBEVENT.CONNECTION_COMPLETE) {
      this.onConnected?.(p.readUInt16LE(2), p[1]!);
    } else if (code === EVT.NUMBER_OF_COMPLETED_PACKETS) {
      for (let i = 0; i < p[0]!; i++)
        if (p.readUInt16LE(1 + 4 * i) === this.handle) this.credits += p.readUInt16LE(3 + 4 * i);
      this.flush();
    } else if (code === EVT.DISCONNECTION_COMPLETE && p.readUInt16LE(1) === this.handle) {
      this.closedReason = p[3]!;
      for (const w of this.waiters.splice(0)) w.reject(this.disconnectedError());
      this.onDisconnected?.();
    }
  }

  /** Reassembles L2CAP PDUs from ACL fragments (PB 10 starts one, PB 01 continues it). */
  private acl(packet: Buffer): void {
    const pb = (packet.readUInt16LE(1) >> 12) & 0x3;
    const data = packet.subarray(5, 5 + packet.readUInt16LE(3));
    if (pb === PB_FIRST_FLUSHABLE || pb === PB_FIRST_NON_FLUSHABLE) this.partial = Buffer.from(data);
    else if (this.partial) this.partial = Buffer.concat([this.partial, data]);
    const whole = this.partial;
    if (!whole || whole.length < L2CAP_HEADER || whole.length < L2CAP_HEADER + whole.readUInt16LE(0)) return;
    this.partial = undefined;
    if (whole.readUInt16LE(2) !== ATT_CID) return;
    const att = Buffer.from(whole.subarray(L2CAP_HEADER, L2CAP_HEADER + whole.readUInt16LE(0)));
    this.received.push(att);
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(att);
    else this.inbox.push(att);
  }

  private disconnectedError(): Error {
    return new Error(`link dropped (reason 0x${(this.closedReason ?? 0).toString(16)}) before the next ATT PDU`);
  }
}
