/** Options, counters and fault settings of the virtual air. */
import type { Phy } from './link-timing.js';
import { MAX_LL_OCTETS, MIN_LL_OCTETS } from './link-timing.js';
import type { AirScheduler } from './scheduler.js';

export interface AirOptions {
  /** 'virtual' (default): time jumps to the next thing due; 'realtime': wall clock × speed; or your own. */
  clock?: 'virtual' | 'realtime' | AirScheduler;
  /** Speed factor for 'realtime' (1 = real time). */
  speed?: number;
  /** Connection interval for every new link, ms (7.5–4000); default: the central's Conn_Interval_Min. */
  connectionIntervalMs?: number;
  /** PHY of new links (default '1M'); LE Set PHY may change it per link. */
  phy?: Phy;
  /** LL max payload per PDU for new links, octets 27–251 (default 251, i.e. Data Length Extension on). */
  dataLength?: number;
  /** Upper bound on LL PDUs per direction in one connection event (default: as many as the interval allows). */
  maxPdusPerEvent?: number;
  aclBufferOctets?: number;
  aclBufferCount?: number;
  /** RSSI seen by `scanner` for `advertiser` (addresses "aa:bb:…"), dBm. */
  rssi?: (scanner: string, advertiser: string) => number;
}

export interface AirCounters {
  /** Simulated time now, µs. */
  simTimeUs: number;
  /** Connection events that carried at least one PDU exchange. */
  connectionEvents: number;
  /** LL data PDUs sent, empty ones included. */
  llPdus: number;
  /** Host ACL packets delivered, and their payload octets (L2CAP bytes). */
  aclPackets: number;
  aclBytes: number;
  /** Sum of the time on air of every LL data PDU, µs. */
  airTimeUs: number;
  advertisingReports: number;
  connections: number;
  disconnections: number;
  commands: number;
  unknownCommands: number;
}

export interface AirFaults {
  /** Drop a link (both sides get Disconnection Complete, reason 0x08) after this many more ACL packets on any link. */
  dropLinkAfterPackets?: number;
  /** Extra simulated delay added to every ACL packet's arrival, ms. */
  extraLatencyMs?: number;
  /** Connection attempts fail with status 0x3E (Connection Failed to be Established). */
  refuseConnections?: boolean;
}

export function zeroCounters(): AirCounters {
  return {
    simTimeUs: 0,
    connectionEvents: 0,
    llPdus: 0,
    aclPackets: 0,
    aclBytes: 0,
    airTimeUs: 0,
    advertisingReports: 0,
    connections: 0,
    disconnections: 0,
    commands: 0,
    unknownCommands: 0,
  };
}

/** Throws RangeError naming the first bad option. */
export function validateOptions(o: AirOptions): void {
  const bad = (what: string): never => {
    throw new RangeError(`air option ${what}`);
  };
  if (o.connectionIntervalMs !== undefined && !(o.connectionIntervalMs >= 7.5 && o.connectionIntervalMs <= 4000))
    bad('connectionIntervalMs must be 7.5–4000');
  if (o.dataLength !== undefined && !(o.dataLength >= MIN_LL_OCTETS && o.dataLength <= MAX_LL_OCTETS))
    bad('dataLength must be 27–251');
  if (o.phy !== undefined && o.phy !== '1M' && o.phy !== '2M') bad("phy must be '1M' or '2M'");
  if (o.speed !== undefined && !(o.speed > 0)) bad('speed must be > 0');
  if (o.maxPdusPerEvent !== undefined && !(o.maxPdusPerEvent >= 1)) bad('maxPdusPerEvent must be >= 1');
  if (o.aclBufferOctets !== undefined && !(o.aclBufferOctets >= 27 && o.aclBufferOctets <= 0xffff))
    bad('aclBufferOctets must be 27–65535');
  if (o.aclBufferCount !== undefined && !(o.aclBufferCount >= 1 && o.aclBufferCount <= 255))
    bad('aclBufferCount must be 1–255');
}
