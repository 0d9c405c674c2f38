/**
 * The virtual air: a shared radio medium with one LE controller per attached host. It carries
 * advertising to scanners, establishes connections, and moves ACL data at connection events whose
 * timing follows the connection interval, PHY and data length (see link-timing.ts). Counters and
 * fault hooks make it useful for benchmarks and failure tests.
 */
import { advertisingReport, completedPackets, connectionComplete, disconnectionComplete } from './events.js';
import { ADV_TYPE, LE_SUBEVENT, REPORT_TYPE, STATUS, leMeta } from './hci.js';
import { Link } from './link.js';
import type { QueuedPdu } from './link.js';
import { INTERVAL_UNIT_US, MAX_LL_OCTETS, MIN_LL_OCTETS, T_IFS_US, pduAirTimeUs, pduCount } from './link-timing.js';
import type { Phy } from './link-timing.js';
import { validateOptions, zeroCounters } from './options.js';
import type { AirCounters, AirFaults, AirOptions } from './options.js';
import { RealTimeScheduler, VirtualTimeScheduler } from './scheduler.js';
import type { AirScheduler } from './scheduler.js';
import { VirtualController } from './controller.js';

/** Delay from an advertiser becoming visible to a scanner's report, µs (about one advertising event). */
export const REPORT_DELAY_US = 1_000;
/** Delay from a connectable advertiser being found to the connection being established, µs. */
export const CONNECT_DELAY_US = 1_250;
/** Default RSSI reported in advertising reports and Read RSSI, dBm. */
export const DEFAULT_RSSI_DBM = -48;
/** Default LE ACL buffer the controllers report to hosts (LE Read Buffer Size): octets and count. */
export const DEFAULT_ACL_BUFFER_OCTETS = 251;
export const DEFAULT_ACL_BUFFER_COUNT = 8;

/** First handle given out; handles are 12 bits (Vol 4 Part E 5.4.2), 0x0EFF the last valid one. */
const FIRST_HANDLE = 0x0040;
const LAST_HANDLE = 0x0eff;

export class Air {
  readonly scheduler: AirScheduler;
  private opts: AirOptions;
  private readonly controllers = new Set<VirtualController>();
  private readonly links = new Map<number, Link>();
  private nextAddress = 1;
  private nextHandle = FIRST_HANDLE;
  private stats = zeroCounters();
  private faults: AirFaults = {};
  private dropCountdown: number | undefined;
  private closed = false;

  constructor(options: AirOptions = {}) {
    validateOptions(options);
    this.opts = { ...options };
    const clock = options.clock ?? 'virtual';
    this.scheduler =
      clock === 'virtual'
        ? new VirtualTimeScheduler()
        : clock === 'realtime'
          ? new RealTimeScheduler(options.speed ?? 1)
          : clock;
  }

  get options(): Readonly<AirOptions> {
    return this.opts;
  }

  /** Changes the parameters of links established from now on (open links keep theirs). */
  configureLinks(options: Pick<AirOptions, 'connectionIntervalMs' | 'phy' | 'dataLength' | 'maxPdusPerEvent'>): void {
    validateOptions(options);
    this.opts = { ...this.opts, ...options };
  }

  /** Attaches a host: it gets a new controller with its own address. `toHost` receives H4 packets. */
  attach(toHost: (packet: Buffer) => void): VirtualController {
    if (this.closed) throw new Error('the air is closed');
    const n = this.nextAddress++;
    // c0:de:a1:xx:xx:xx — never 00:00:00:00:00:00 (two such controllers break connection routing).
    const address = Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0xa1, 0xde, 0xc0]);
    const c = new VirtualController(this, address, toHost);
    this.controllers.add(c);
    return c;
  }

  /** Addresses of the attached controllers, "aa:bb:cc:dd:ee:ff". */
  get addresses(): string[] {
    return [...this.controllers].map((c) => c.addressText);
  }

  counters(): AirCounters {
    return { ...this.stats, simTimeUs: Math.round(this.scheduler.now()) };
  }

  resetCounters(): void {
    this.stats = zeroCounters();
  }

  setFaults(faults: AirFaults): void {
    this.faults = { ...faults };
    this.dropCountdown = faults.dropLinkAfterPackets;
  }

  /** Drops links now (all, or those with a controller of this address): both sides see reason 0x08. */
  dropLinks(address?: string): number {
    let n = 0;
    for (const link of [...this.links.values()]) {
      if (address === undefined || link.central.addressText === address || link.peripheral.addressText === address) {
        this.closeLink(link, STATUS.CONNECTION_TIMEOUT, STATUS.CONNECTION_TIMEOUT);
        n++;
      }
    }
    return n;
  }

  /** Open links as seen from outside, for tests and tools. */
  linkInfo(): {
    handle: number;
    central: string;
    peripheral: string;
    intervalUs: number;
    phy: Phy;
    dataLength: number;
  }[] {
    return [...this.links.values()].map((l) => ({
      handle: l.handle,
      central: l.central.addressText,
      peripheral: l.peripheral.addressText,
      intervalUs: l.intervalUs,
      phy: l.phy,
      dataLength: l.txOctets.central,
    }));
  }

  close(): void {
    this.closed = true;
    for (const c of [...this.controllers]) c.detach();
    this.scheduler.close();
  }

  // ---- used by the controllers --------------------------------------------------------------

  countCommand(known: boolean): void {
    this.stats.commands++;
    if (!known) this.stats.unknownCommands++;
  }

  detached(c: VirtualController): void {
    this.resetController(c, STATUS.CONNECTION_TIMEOUT);
    this.controllers.delete(c);
  }

  /** Reset or detach: links end (the peer sees `peerReason`), nothing is advertised or scanned. */
  resetController(c: VirtualController, peerReason: number): void {
    for (const link of [...this.links.values()]) {
      if (link.central === c || link.peripheral === c) this.closeLink(link, peerReason, peerReason, c);
    }
  }

  rssi(scanner: VirtualController, advertiser: VirtualController): number {
    return this.opts.rssi?.(scanner.addressText, advertiser.addressText) ?? DEFAULT_RSSI_DBM;
  }

  get aclBuffer(): { octets: number; count: number } {
    return {
      octets: this.opts.aclBufferOctets ?? DEFAULT_ACL_BUFFER_OCTETS,
      count: this.opts.aclBufferCount ?? DEFAULT_ACL_BUFFER_COUNT,
    };
  }

  /** Advertising of `c` started, stopped or changed. */
  advertisingChanged(c: VirtualController): void {
    if (!c.adv.enabled) return;
    for (const s of this.controllers) if (s !== c && s.scan.enabled) this.report(s, c);
    for (const s of this.controllers) if (s.pendingConnect?.peer === c.addressText) this.tryConnect(s);
  }

  /** Scanning of `s` was enabled. */
  scanningStarted(s: VirtualController): void {
    for (const c of this.controllers) if (c !== s && c.adv.enabled) this.report(s, c);
  }

  private report(scanner: VirtualController, adv: VirtualController): void {
    this.scheduler.at(this.scheduler.now() + REPORT_DELAY_US, () => {
      if (!scanner.scan.enabled || !adv.adv.enabled || !this.controllers.has(adv)) return;
      const rssi = this.rssi(scanner, adv);
      const type =
        adv.adv.type === ADV_TYPE.ADV_DIRECT_IND || adv.adv.type === ADV_TYPE.ADV_DIRECT_IND_LOW
          ? REPORT_TYPE.ADV_DIRECT_IND
          : adv.adv.type;
      scanner.emitNow(advertisingReport(type, adv.address, adv.adv.data, rssi));
      this.stats.advertisingReports++;
      const scannable = adv.adv.type === ADV_TYPE.ADV_IND || adv.adv.type === ADV_TYPE.ADV_SCAN_IND;
      if (scanner.scan.active && scannable) {
        // The scan response carries what the advertiser set with LE Set Scan Response Data.
        scanner.emitNow(advertisingReport(REPORT_TYPE.SCAN_RSP, adv.address, adv.adv.scanResponse, rssi));
        this.stats.advertisingReports++;
      }
    });
  }

  /** Called after `central` accepted LE Create Connection (pendingConnect set). */
  tryConnect(central: VirtualController): void {
    const pending = central.pendingConnect;
    if (!pending || pending.scheduled) return;
    if (this.faults.refuseConnections) {
      pending.scheduled = true;
      this.scheduler.at(this.scheduler.now() + CONNECT_DELAY_US, () => {
        if (central.pendingConnect !== pending) return;
        central.pendingConnect = undefined;
        central.emitNow(connectionComplete(STATUS.CONNECTION_FAILED_TO_ESTABLISH, 0, 0, pending.peerAddress, 0, 0));
      });
      return;
    }
    const target = [...this.controllers].find(
      (c) => c !== central && c.addressText === pending.peer && c.adv.enabled && isConnectable(c.adv.type),
    );
    if (!target) return; // Waits for the peer to advertise, like a real initiator.
    pending.scheduled = true;
    this.scheduler.at(this.scheduler.now() + CONNECT_DELAY_US, () => {
      if (central.pendingConnect !== pending) return;
      if (!target.adv.enabled || !this.controllers.has(target)) {
        pending.scheduled = false;
        return;
      }
      central.pendingConnect = undefined;
      this.establish(central, target, pending.intervalUnits, pending.timeoutUnits);
    });
  }

  /** LE Create Connection Cancel: true if something was pending. */
  cancelConnect(central: VirtualController): boolean {
    const pending = central.pendingConnect;
    if (!pending) return false;
    central.pendingConnect = undefined;
    // Spec: a cancelled initiation ends with LE Connection Complete, status 0x02 (noble waits for it).
    central.emit(connectionComplete(STATUS.UNKNOWN_CONNECTION, 0, 0, pending.peerAddress, 0, 0));
    return true;
  }

  private allocateHandle(): number {
    for (;;) {
      const h = this.nextHandle;
      this.nextHandle = h >= LAST_HANDLE ? FIRST_HANDLE : h + 1;
      if (!this.links.has(h)) return h;
    }
  }

  private establish(
    central: VirtualController,
    peripheral: VirtualController,
    intervalUnits: number,
    timeoutUnits: number,
  ): void {
    const intervalUs =
      this.opts.connectionIntervalMs !== undefined
        ? this.opts.connectionIntervalMs * 1000
        : intervalUnits * INTERVAL_UNIT_US;
    const octets = this.opts.dataLength ?? MAX_LL_OCTETS;
    const now = this.scheduler.now();
    const link = new Link(
      this.allocateHandle(),
      central,
      peripheral,
      intervalUs,
      timeoutUnits * 10_000,
      this.opts.phy ?? '1M',
      { central: octets, peripheral: octets },
      now + intervalUs,
    );
    this.links.set(link.handle, link);
    // A connection ends advertising (Vol 6 Part B 4.4.2); bleno re-enables it after a disconnect.
    peripheral.adv.enabled = false;
    this.stats.connections++;
    const units = Math.round(intervalUs / INTERVAL_UNIT_US);
    central.emitNow(connectionComplete(STATUS.SUCCESS, link.handle, 0, peripheral.address, units, timeoutUnits));
    peripheral.emitNow(connectionComplete(STATUS.SUCCESS, link.handle, 1, central.address, units, timeoutUnits));
  }

  linkOf(c: VirtualController, handle: number): Link | undefined {
    const link = this.links.get(handle);
    return link && link.open && (link.central === c || link.peripheral === c) ? link : undefined;
  }

  /** HCI Disconnect from `c`: the peer learns at the next connection event. */
  disconnect(c: VirtualController, link: Link, reason: number): void {
    link.closing = true;
    this.scheduler.at(link.nextEventAt(this.scheduler.now()), () =>
      this.closeLink(link, reason, STATUS.LOCAL_HOST_TERMINATED, undefined, c),
    );
  }

  /**
   * Ends a link: each side still attached gets Disconnection Complete. `initiator` (if any) gets
   * `initiatorReason`, the other `peerReason`; `silent` (a controller being reset) gets nothing.
   */
  private closeLink(
    link: Link,
    peerReason: number,
    initiatorReason: number,
    silent?: VirtualController,
    initiator?: VirtualController,
  ): void {
    if (!link.open) return;
    link.open = false;
    link.toCentral.length = 0;
    link.toPeripheral.length = 0;
    this.links.delete(link.handle);
    this.stats.disconnections++;
    for (const side of [link.central, link.peripheral]) {
      if (side === silent || !this.controllers.has(side)) continue;
      side.emitNow(disconnectionComplete(link.handle, side === initiator ? initiatorReason : peerReason));
    }
  }

  /** A host ACL packet from `from` on `link`: queued as LL PDUs for the next connection events. */
  sendAcl(from: VirtualController, link: Link, packet: Buffer): void {
    if (link.closing) return;
    const fromCentral = from === link.central;
    const header = packet.readUInt16LE(1);
    const pb = (header >> 12) & 0x3;
    const length = packet.readUInt16LE(3);
    // Hosts send PB 00 (start, non-flushable); hosts only accept PB 10 as a start (BLE-NOTES.md).
    const outPb = pb === 0b01 ? 0b01 : 0b10;
    const out = Buffer.from(packet);
    out.writeUInt16LE((link.handle & 0x0fff) | (outPb << 12), 1);
    const max = fromCentral ? link.txOctets.central : link.txOctets.peripheral;
    const queue = fromCentral ? link.toPeripheral : link.toCentral;
    const n = pduCount(length, max);
    for (let i = 0; i < n; i++) {
      const octets = Math.min(max, length - i * max);
      queue.push(i === n - 1 ? { octets: Math.max(0, octets), completes: out } : { octets });
    }
    this.scheduleEvent(link);
  }

  private scheduleEvent(link: Link): void {
    if (link.eventScheduled || !link.open) return;
    link.eventScheduled = true;
    const t = link.nextEventAt(this.scheduler.now());
    this.scheduler.at(t, () => this.connectionEvent(link, t));
  }

  /**
   * One connection event: central and peripheral take turns (central first), each sending its next
   * PDU or an empty one, until both have nothing or the next exchange would overrun the interval.
   */
  private connectionEvent(link: Link, startUs: number): void {
    link.eventScheduled = false;
    if (!link.open) return;
    link.lastEventUs = startUs;
    this.stats.connectionEvents++;
    const endUs = startUs + link.intervalUs - T_IFS_US;
    const maxPdus = this.opts.maxPdusPerEvent ?? Number.POSITIVE_INFINITY;
    let t = startUs;
    let exchanges = 0;
    while (exchanges === 0 || (link.hasData && exchanges < maxPdus)) {
      const c = link.toPeripheral[0];
      const p = link.toCentral[0];
      const need = pduAirTimeUs(c?.octets ?? 0, link.phy) + pduAirTimeUs(p?.octets ?? 0, link.phy) + 2 * T_IFS_US;
      if (exchanges > 0 && t + need > endUs) break;
      t = this.transmit(link, link.toPeripheral, link.peripheral, link.central, t);
      t = this.transmit(link, link.toCentral, link.central, link.peripheral, t);
      exchanges++;
    }
    if (link.hasData) this.scheduleEvent(link);
  }

  private transmit(link: Link, queue: QueuedPdu[], to: VirtualController, from: VirtualController, t: number): number {
    const pdu = queue.shift();
    const dur = pduAirTimeUs(pdu?.octets ?? 0, link.phy);
    this.stats.llPdus++;
    this.stats.airTimeUs += dur;
    const arrival = t + dur;
    if (pdu?.completes) {
      const packet = pdu.completes;
      const extra = (this.faults.extraLatencyMs ?? 0) * 1000;
      this.scheduler.at(arrival + extra, () => this.deliver(link, packet, to, from));
    }
    return arrival + T_IFS_US;
  }

  private deliver(link: Link, packet: Buffer, to: VirtualController, from: VirtualController): void {
    if (!link.open) return;
    to.emitNow(packet);
    // The sender's controller buffer is free once its peer has the packet.
    from.emitNow(completedPackets(link.handle, 1));
    this.stats.aclPackets++;
    this.stats.aclBytes += packet.length - 5;
    if (this.dropCountdown !== undefined) {
      this.dropCountdown--;
      if (this.dropCountdown <= 0) {
        this.dropCountdown = undefined;
        delete this.faults.dropLinkAfterPackets;
        this.closeLink(link, STATUS.CONNECTION_TIMEOUT, STATUS.CONNECTION_TIMEOUT);
      }
    }
  }

  /** LE Connection Update: takes effect at an instant six events ahead (Vol 6 Part B 5.1.1). */
  updateConnection(link: Link, intervalUnits: number, latency: number, timeoutUnits: number): void {
    const instant = link.nextEventAt(this.scheduler.now()) + 5 * link.intervalUs;
    this.scheduler.at(instant, () => {
      if (!link.open) return;
      link.intervalUs = intervalUnits * INTERVAL_UNIT_US;
      link.latency = latency;
      link.supervisionTimeoutUs = timeoutUnits * 10_000;
      link.anchorUs = instant;
      link.lastEventUs = -Infinity;
      const params = Buffer.alloc(9);
      params[0] = STATUS.SUCCESS;
      params.writeUInt16LE(link.handle, 1);
      params.writeUInt16LE(intervalUnits, 3);
      params.writeUInt16LE(latency, 5);
      params.writeUInt16LE(timeoutUnits, 7);
      const event = leMeta(LE_SUBEVENT.CONNECTION_UPDATE_COMPLETE, params);
      link.central.emitNow(event);
      link.peripheral.emitNow(event);
    });
  }

  /** LE Set Data Length from `c`: its PDUs on this link carry at most `octets`. */
  setDataLength(c: VirtualController, link: Link, octets: number): void {
    const clamped = Math.min(MAX_LL_OCTETS, Math.max(MIN_LL_OCTETS, octets));
    if (c === link.central) link.txOctets.central = clamped;
    else link.txOctets.peripheral = clamped;
    for (const side of [link.central, link.peripheral]) {
      const tx = side === link.central ? link.txOctets.central : link.txOctets.peripheral;
      const rx = side === link.central ? link.txOctets.peripheral : link.txOctets.central;
      const params = Buffer.alloc(10);
      params.writeUInt16LE(link.handle, 0);
      params.writeUInt16LE(tx, 2);
      params.writeUInt16LE(Math.round(pduAirTimeUs(tx, '1M')), 4);
      params.writeUInt16LE(rx, 6);
      params.writeUInt16LE(Math.round(pduAirTimeUs(rx, '1M')), 8);
      side.emit(leMeta(LE_SUBEVENT.DATA_LENGTH_CHANGE, params));
    }
  }

  /** LE Set PHY: both directions move to `phy`; both hosts get PHY Update Complete. */
  setPhy(link: Link, phy: Phy): void {
    link.phy = phy;
    const code = phy === '2M' ? 2 : 1;
    const params = Buffer.from([STATUS.SUCCESS, link.handle & 0xff, link.handle >> 8, code, code]);
    link.central.emit(leMeta(LE_SUBEVENT.PHY_UPDATE_COMPLETE, params));
    link.peripheral.emit(leMeta(LE_SUBEVENT.PHY_UPDATE_COMPLETE, params));
  }
}

function isConnectable(type: number): boolean {
  return type === ADV_TYPE.ADV_IND || type === ADV_TYPE.ADV_DIRECT_IND || type === ADV_TYPE.ADV_DIRECT_IND_LOW;
}

export type { AirCounters, AirFaults, AirOptions } from './options.js';
