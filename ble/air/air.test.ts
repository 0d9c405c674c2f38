/**
 * The virtual air driven by raw HCI hosts (bytes in, bytes out), with a hand-cranked scheduler so
 * that every arrival time can be asserted exactly in simulated microseconds.
 */
import { describe, expect, it } from 'vitest';
import { H4_ACL, h4Acl, h4Command } from '../h4/packets.js';
import { Air, CONNECT_DELAY_US, DEFAULT_RSSI_DBM, REPORT_DELAY_US } from './air.js';
import type { AirOptions } from './air.js';
import type { VirtualController } from './controller.js';
import { EVT, LE_SUBEVENT, OP, STATUS } from './hci.js';
import { T_IFS_US, pduAirTimeUs } from './link-timing.js';
import { VirtualTimeScheduler } from './scheduler.js';

interface Rx {
  at: number;
  packet: Buffer;
}

class RawHost {
  readonly rx: Rx[] = [];
  readonly controller: VirtualController;
  constructor(readonly air: Air) {
    this.controller = air.attach((packet) => this.rx.push({ at: air.scheduler.now(), packet }));
  }
  command(op: number, params: number[] | Buffer = []): void {
    this.controller.receive(h4Command(op, Buffer.from(params)));
  }
  acl(handle: number, pb: number, data: Buffer): void {
    this.controller.receive(h4Acl(handle, pb, data));
  }
  take(): Rx[] {
    return this.rx.splice(0);
  }
  events(code: number, sub?: number): Rx[] {
    return this.rx.filter(
      (r) => r.packet[0] === 0x04 && r.packet[1] === code && (sub === undefined || r.packet[3] === sub),
    );
  }
}

function world(options: Omit<AirOptions, 'clock'> = {}): { air: Air; run: () => void } {
  const deferred: (() => void)[] = [];
  const air = new Air({ ...options, clock: new VirtualTimeScheduler((fn) => deferred.push(fn)) });
  const run = (): void => {
    for (let guard = 0; deferred.length > 0 && guard < 100_000; guard++) deferred.shift()!();
  };
  return { air, run };
}

/** Command Complete parameters after the opcode: status then return parameters. */
function completeOf(host: RawHost, op: number): Buffer {
  const cc = host.events(EVT.COMMAND_COMPLETE).find((r) => r.packet.readUInt16LE(4) === op);
  if (!cc) throw new Error(`no Command Complete for ${op.toString(16)}`);
  return cc.packet.subarray(6);
}

function statusOf(host: RawHost, op: number): number | undefined {
  return host.events(EVT.COMMAND_STATUS).find((r) => r.packet.readUInt16LE(5) === op)?.packet[3];
}

const le = (a: string): number[] => [...Buffer.from(a.split(':').reverse().join(''), 'hex')];

function advertise(
  host: RawHost,
  type = 0,
  data = Buffer.from('020106', 'hex'),
  scan = Buffer.from('0409616263', 'hex'),
): void {
  host.command(OP.LE_SET_ADV_PARAMS, [0xa0, 0, 0xa0, 0, type, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0]);
  host.command(OP.LE_SET_ADV_DATA, [data.length, ...data, ...Buffer.alloc(31 - data.length)]);
  host.command(OP.LE_SET_SCAN_RSP_DATA, [scan.length, ...scan, ...Buffer.alloc(31 - scan.length)]);
  host.command(OP.LE_SET_ADV_ENABLE, [1]);
}

function createConnection(central: RawHost, peer: string, intervalUnits = 6): void {
  const p = Buffer.alloc(25);
  p.writeUInt16LE(0x60, 0);
  p.writeUInt16LE(0x30, 2);
  Buffer.from(le(peer)).copy(p, 6);
  p.writeUInt16LE(intervalUnits, 13);
  p.writeUInt16LE(intervalUnits * 3, 15);
  p.writeUInt16LE(42, 19);
  central.command(OP.LE_CREATE_CONN, p);
}

/** Simulated time of the last LE Connection Complete made by {@link connect}. */
let connectedAt = 0;

/** Connects `central` to `peripheral`; returns the handle. */
function connect(_air: Air, run: () => void, central: RawHost, peripheral: RawHost, intervalUnits = 6): number {
  advertise(peripheral);
  createConnection(central, peripheral.controller.addressText, intervalUnits);
  run();
  const cc = central.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE).pop();
  if (!cc || cc.packet[4] !== 0) throw new Error('no connection');
  connectedAt = cc.at;
  central.take();
  peripheral.take();
  return cc.packet.readUInt16LE(5);
}

describe('virtual controller commands', () => {
  it('answers the init sequence with full-length return parameters', () => {
    const { air, run } = world();
    const h = new RawHost(air);
    for (const op of [
      OP.RESET,
      OP.READ_LOCAL_VERSION,
      OP.READ_BD_ADDR,
      OP.LE_READ_BUFFER_SIZE,
      OP.READ_BUFFER_SIZE,
      OP.READ_LE_HOST_SUPPORTED,
    ])
      h.command(op);
    run();
    expect(completeOf(h, OP.RESET)).toEqual(Buffer.from([0]));
    const version = completeOf(h, OP.READ_LOCAL_VERSION);
    expect(version).toHaveLength(9);
    expect(version[1]).toBeGreaterThanOrEqual(6); // bleno needs HCI >= 4.0
    expect(completeOf(h, OP.READ_BD_ADDR)).toEqual(Buffer.from([0, ...le(h.controller.addressText)]));
    expect(completeOf(h, OP.LE_READ_BUFFER_SIZE)).toEqual(Buffer.from([0, 251, 0, 8]));
    expect(completeOf(h, OP.READ_BUFFER_SIZE)).toHaveLength(8);
    expect(completeOf(h, OP.READ_LE_HOST_SUPPORTED)).toEqual(Buffer.from([0, 1, 0]));
    // Num_HCI_Command_Packets is 1 in every Command Complete.
    expect(h.events(EVT.COMMAND_COMPLETE).every((r) => r.packet[3] === 1)).toBe(true);
  });

  it('keeps full-length return parameters on error (Read RSSI of an unknown handle)', () => {
    const { air, run } = world();
    const h = new RawHost(air);
    h.command(OP.READ_RSSI, [0x34, 0x12]);
    h.command(OP.LE_READ_PHY, [0x34, 0x12]);
    run();
    expect(completeOf(h, OP.READ_RSSI)).toEqual(Buffer.from([STATUS.UNKNOWN_CONNECTION, 0x34, 0x12, 0]));
    expect(completeOf(h, OP.LE_READ_PHY)).toEqual(Buffer.from([STATUS.UNKNOWN_CONNECTION, 0x34, 0x12, 0, 0]));
  });

  it('answers an unsupported command with Unknown HCI Command (0x01), never silence', () => {
    const { air, run } = world();
    const h = new RawHost(air);
    h.command(0xfc01, [1, 2, 3]);
    h.command(0x0c7b);
    run();
    expect(statusOf(h, 0xfc01)).toBe(STATUS.UNKNOWN_COMMAND);
    expect(statusOf(h, 0x0c7b)).toBe(STATUS.UNKNOWN_COMMAND);
    expect(air.counters().unknownCommands).toBe(2);
  });

  it('gives each attached host a distinct, non-zero address', () => {
    const { air } = world();
    const hosts = [new RawHost(air), new RawHost(air), new RawHost(air)];
    const addresses = hosts.map((h) => h.controller.addressText);
    expect(new Set(addresses).size).toBe(3);
    expect(addresses).not.toContain('00:00:00:00:00:00');
  });
});

describe('advertising and scanning', () => {
  it('reports advertising data then the scan response, with RSSI, to an active scanner', () => {
    const { air, run } = world({ rssi: (s, a) => (s < a ? -61 : -62) });
    const adv = new RawHost(air);
    const scanner = new RawHost(air);
    advertise(adv, 0, Buffer.from('0201060302aaff', 'hex'), Buffer.from('0409616263', 'hex'));
    run();
    scanner.command(OP.LE_SET_SCAN_PARAMS, [1, 0x12, 0, 0x12, 0, 0, 0]);
    scanner.command(OP.LE_SET_SCAN_ENABLE, [1, 1]);
    const t0 = air.scheduler.now();
    run();
    const reports = scanner.events(EVT.LE_META, LE_SUBEVENT.ADVERTISING_REPORT);
    expect(reports).toHaveLength(2);
    const [ind, rsp] = reports.map((r) => r.packet);
    expect(ind![4]).toBe(1);
    expect(ind![5]).toBe(0x00); // ADV_IND
    expect([...ind!.subarray(7, 13)]).toEqual(le(adv.controller.addressText));
    expect(ind!.subarray(14, 14 + ind![13]!)).toEqual(Buffer.from('0201060302aaff', 'hex'));
    expect(ind!.readInt8(ind!.length - 1)).toBe(-62);
    expect(rsp![5]).toBe(0x04); // SCAN_RSP
    expect(rsp!.subarray(14, 14 + rsp![13]!)).toEqual(Buffer.from('0409616263', 'hex'));
    expect(reports[0]!.at).toBe(t0 + REPORT_DELAY_US);
  });

  it('sends no scan response to a passive scanner, and reports a non-connectable advertiser as such', () => {
    const { air, run } = world();
    const adv = new RawHost(air);
    const scanner = new RawHost(air);
    advertise(adv, 3);
    scanner.command(OP.LE_SET_SCAN_PARAMS, [0, 0x12, 0, 0x12, 0, 0, 0]);
    scanner.command(OP.LE_SET_SCAN_ENABLE, [1, 0]);
    run();
    const reports = scanner.events(EVT.LE_META, LE_SUBEVENT.ADVERTISING_REPORT);
    expect(reports.map((r) => r.packet[5])).toEqual([0x03]);
    expect(reports[0]!.packet.readInt8(reports[0]!.packet.length - 1)).toBe(DEFAULT_RSSI_DBM);
  });
});

describe('connections', () => {
  it('connects: Command Status, then LE Connection Complete with role 0 and role 1; advertising stops', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    advertise(peripheral);
    run();
    const t0 = air.scheduler.now();
    createConnection(central, peripheral.controller.addressText, 24);
    run();
    expect(statusOf(central, OP.LE_CREATE_CONN)).toBe(0);
    const c = central.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE)[0]!;
    const p = peripheral.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE)[0]!;
    expect(c.at).toBe(t0 + CONNECT_DELAY_US);
    expect(c.packet[4]).toBe(0);
    expect(c.packet[7]).toBe(0); // central
    expect(p.packet[7]).toBe(1); // peripheral
    expect(c.packet.readUInt16LE(5)).toBe(p.packet.readUInt16LE(5));
    expect([...c.packet.subarray(9, 15)]).toEqual(le(peripheral.controller.addressText));
    expect([...p.packet.subarray(9, 15)]).toEqual(le(central.controller.addressText));
    expect(c.packet.readUInt16LE(15)).toBe(24);
    expect(peripheral.controller.adv.enabled).toBe(false);
  });

  it('waits for a peer that is not advertising yet, and cancels with status 0x02', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    createConnection(central, 'c0:de:a1:00:00:99');
    run();
    expect(central.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE)).toHaveLength(0);
    central.command(OP.LE_CREATE_CONN_CANCEL);
    run();
    expect(completeOf(central, OP.LE_CREATE_CONN_CANCEL)).toEqual(Buffer.from([0]));
    const cc = central.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE);
    expect(cc.map((r) => r.packet[4])).toEqual([STATUS.UNKNOWN_CONNECTION]);
    central.take();
    central.command(OP.LE_CREATE_CONN_CANCEL);
    run();
    expect(completeOf(central, OP.LE_CREATE_CONN_CANCEL)).toEqual(Buffer.from([STATUS.COMMAND_DISALLOWED]));
  });

  it('routes ACL to the peer with PB=10 at the connection event, and frees the sender buffer with NOCP', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    const handle = connect(air, run, central, peripheral);
    const link = air.linkInfo()[0]!;
    expect(link.intervalUs).toBe(7500);
    const data = Buffer.from('0700040012345678abcd', 'hex');
    central.acl(handle, 0b00, data);
    run();
    const got = peripheral.rx.find((r) => r.packet[0] === H4_ACL)!;
    expect(got.packet).toEqual(h4Acl(handle, 0b10, data));
    // The first connection event is one interval after the connection; the PDU takes its time on air.
    expect(got.at).toBe(connectedAt + 7500 + pduAirTimeUs(data.length, '1M'));
    const nocp = central.events(EVT.NUMBER_OF_COMPLETED_PACKETS)[0]!;
    expect(nocp.packet.subarray(3)).toEqual(Buffer.from([1, handle & 0xff, handle >> 8, 1, 0]));
    expect(air.counters()).toMatchObject({ aclPackets: 1, aclBytes: data.length, connectionEvents: 1, llPdus: 2 });
  });

  it('times delivery by interval, PHY and data length', () => {
    const { air, run } = world({ dataLength: 27 });
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    const handle = connect(air, run, central, peripheral, 8); // 10 ms
    const event = connectedAt + 10_000;
    // 60 octets at 27 per PDU: three PDUs from the central, each answered by an empty one.
    central.acl(handle, 0b00, Buffer.alloc(60));
    run();
    const got = peripheral.rx.find((r) => r.packet[0] === H4_ACL)!;
    const one = (n: number): number => pduAirTimeUs(n, '1M');
    const expected = one(27) + T_IFS_US + one(0) + T_IFS_US + one(27) + T_IFS_US + one(0) + T_IFS_US + one(6);
    expect(got.at - event).toBe(expected);
    expect(air.counters().llPdus).toBe(6);
  });

  it('halves the time on air on LE 2M after LE Set PHY', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    const handle = connect(air, run, central, peripheral);
    central.command(OP.LE_SET_PHY, [handle & 0xff, handle >> 8, 0, 0b10, 0b10, 0, 0]);
    run();
    expect(statusOf(central, OP.LE_SET_PHY)).toBe(0);
    expect(peripheral.events(EVT.LE_META, LE_SUBEVENT.PHY_UPDATE_COMPLETE)[0]!.packet.subarray(4)).toEqual(
      Buffer.from([0, handle & 0xff, handle >> 8, 2, 2]),
    );
    air.resetCounters();
    central.acl(handle, 0b00, Buffer.alloc(100));
    run();
    expect(air.counters().airTimeUs).toBe(pduAirTimeUs(100, '2M') + pduAirTimeUs(0, '2M'));
    // (2 + 4 + 2 + 100 + 3) octets at 2 bit/µs, against (1 + 4 + 2 + 100 + 3) at 1 bit/µs.
    expect([pduAirTimeUs(100, '2M'), pduAirTimeUs(100, '1M')]).toEqual([444, 880]);
  });

  it('applies LE Set Data Length and tells both hosts', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    const handle = connect(air, run, central, peripheral);
    central.command(OP.LE_SET_DATA_LENGTH, [handle & 0xff, handle >> 8, 27, 0, 0x48, 0x01]);
    run();
    expect(completeOf(central, OP.LE_SET_DATA_LENGTH)).toEqual(Buffer.from([0, handle & 0xff, handle >> 8]));
    const change = peripheral.events(EVT.LE_META, LE_SUBEVENT.DATA_LENGTH_CHANGE)[0]!.packet;
    expect(change.readUInt16LE(6)).toBe(251); // peripheral's own TX
    expect(change.readUInt16LE(10)).toBe(27); // what it receives
    air.resetCounters();
    central.acl(handle, 0b00, Buffer.alloc(100));
    run();
    expect(air.counters().llPdus).toBe(8); // 4 data PDUs of ≤27 octets + 4 empty replies
  });

  it('updates connection parameters at the instant and reports it to both hosts', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    const handle = connect(air, run, central, peripheral);
    central.command(OP.LE_CONN_UPDATE, [handle & 0xff, handle >> 8, 24, 0, 24, 0, 0, 0, 100, 0, 0, 0, 0, 0]);
    run();
    expect(statusOf(central, OP.LE_CONN_UPDATE)).toBe(0);
    for (const h of [central, peripheral]) {
      const upd = h.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_UPDATE_COMPLETE)[0]!.packet;
      expect(upd.subarray(4)).toEqual(Buffer.from([0, handle & 0xff, handle >> 8, 24, 0, 0, 0, 100, 0]));
    }
    expect(air.linkInfo()[0]!.intervalUs).toBe(30_000);
  });

  it('carries several connections at once, routed by handle', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const p1 = new RawHost(air);
    const p2 = new RawHost(air);
    const h1 = connect(air, run, central, p1);
    const h2 = connect(air, run, central, p2);
    expect(h1).not.toBe(h2);
    central.acl(h1, 0, Buffer.from('0100040001', 'hex'));
    central.acl(h2, 0, Buffer.from('0100040002', 'hex'));
    p2.acl(h2, 0, Buffer.from('0100040003', 'hex'));
    run();
    expect(p1.rx.filter((r) => r.packet[0] === H4_ACL).map((r) => r.packet.at(-1))).toEqual([1]);
    expect(p2.rx.filter((r) => r.packet[0] === H4_ACL).map((r) => r.packet.at(-1))).toEqual([2]);
    expect(
      central.rx.filter((r) => r.packet[0] === H4_ACL).map((r) => [r.packet.readUInt16LE(1) & 0xfff, r.packet.at(-1)]),
    ).toEqual([[h2, 3]]);
  });

  it.each(['central', 'peripheral'] as const)(
    'disconnects from the %s side: 0x16 locally, the given reason at the peer',
    (side) => {
      const { air, run } = world();
      const central = new RawHost(air);
      const peripheral = new RawHost(air);
      const handle = connect(air, run, central, peripheral);
      const [local, remote] = side === 'central' ? [central, peripheral] : [peripheral, central];
      local.command(OP.DISCONNECT, [handle & 0xff, handle >> 8, STATUS.REMOTE_USER_TERMINATED]);
      run();
      expect(statusOf(local, OP.DISCONNECT)).toBe(0);
      expect(local.events(EVT.DISCONNECTION_COMPLETE)[0]!.packet.subarray(3)).toEqual(
        Buffer.from([0, handle & 0xff, handle >> 8, 0x16]),
      );
      expect(remote.events(EVT.DISCONNECTION_COMPLETE)[0]!.packet.subarray(3)).toEqual(
        Buffer.from([0, handle & 0xff, handle >> 8, 0x13]),
      );
      expect(air.linkInfo()).toHaveLength(0);
      local.command(OP.DISCONNECT, [handle & 0xff, handle >> 8, 0x13]);
      run();
      expect(local.events(EVT.COMMAND_STATUS).map((r) => r.packet[3])).toEqual([0, STATUS.UNKNOWN_CONNECTION]);
    },
  );

  it('drops links when a host detaches or resets: the peer sees a connection timeout (0x08)', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const p1 = new RawHost(air);
    const p2 = new RawHost(air);
    connect(air, run, central, p1);
    connect(air, run, central, p2);
    p1.controller.detach();
    run();
    expect(central.events(EVT.DISCONNECTION_COMPLETE).map((r) => r.packet[6])).toEqual([0x08]);
    p2.command(OP.RESET);
    run();
    expect(central.events(EVT.DISCONNECTION_COMPLETE).map((r) => r.packet[6])).toEqual([0x08, 0x08]);
    expect(p2.events(EVT.DISCONNECTION_COMPLETE)).toHaveLength(0);
    expect(air.addresses).not.toContain(p1.controller.addressText);
  });
});

describe('fault hooks', () => {
  it('drops the link after N ACL packets (both sides see 0x08) and delivers nothing after', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    const handle = connect(air, run, central, peripheral);
    air.setFaults({ dropLinkAfterPackets: 2 });
    for (let i = 0; i < 4; i++) central.acl(handle, 0, Buffer.from([1, 0, 4, 0, i]));
    run();
    expect(peripheral.rx.filter((r) => r.packet[0] === H4_ACL)).toHaveLength(2);
    expect(central.events(EVT.DISCONNECTION_COMPLETE).map((r) => r.packet[6])).toEqual([0x08]);
    expect(peripheral.events(EVT.DISCONNECTION_COMPLETE).map((r) => r.packet[6])).toEqual([0x08]);
  });

  it('delays every ACL packet by the extra latency', () => {
    const timeOf = (extraLatencyMs: number): number => {
      const { air, run } = world();
      const central = new RawHost(air);
      const peripheral = new RawHost(air);
      const handle = connect(air, run, central, peripheral);
      air.setFaults({ extraLatencyMs });
      central.acl(handle, 0, Buffer.from([1, 0, 4, 0, 9]));
      run();
      return peripheral.rx.find((r) => r.packet[0] === H4_ACL)!.at;
    };
    expect(timeOf(25) - timeOf(0)).toBe(25_000);
  });

  it('refuses connections with status 0x3E', () => {
    const { air, run } = world();
    const central = new RawHost(air);
    const peripheral = new RawHost(air);
    advertise(peripheral);
    air.setFaults({ refuseConnections: true });
    createConnection(central, peripheral.controller.addressText);
    run();
    expect(central.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE).map((r) => r.packet[4])).toEqual([
      STATUS.CONNECTION_FAILED_TO_ESTABLISH,
    ]);
    expect(peripheral.events(EVT.LE_META, LE_SUBEVENT.CONNECTION_COMPLETE)).toHaveLength(0);
    expect(air.linkInfo()).toHaveLength(0);
  });

  it('validates options eagerly', () => {
    expect(() => new Air({ dataLength: 300 })).toThrow(/dataLength/);
    expect(() => new Air({ connectionIntervalMs: 5 })).toThrow(/connectionIntervalMs/);
  });
});
