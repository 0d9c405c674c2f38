/**
 * Throughput through the real stacks over the virtual air: noble writes a payload to a bleno
 * characteristic in ATT writes of MTU − 3 octets, and the air's simulated clock says how long that
 * took on air. Loads bleno and noble into this process, so run it in a process of its own
 * (ble/throughput-cli.ts does).
 */
import type { Characteristic, Peripheral } from '@abandonware/noble';
import { Air } from './air/index.js';
import type { Phy } from './air/index.js';
import { loadBleno, loadNoble, setBlenoMaxMtu, setNobleMtu } from './loader.js';
import type { Bleno, Noble } from './loader.js';

export interface ThroughputCase {
  mtu: number;
  withResponse: boolean;
  phy: Phy;
  connectionIntervalMs: number;
  /** LL payload octets per PDU (27–251). */
  dataLength: number;
  /** The size of each write, in order (each at most mtu − 3); default: `bytes` cut into mtu − 3 writes. */
  sizes?: readonly number[];
}

export interface ThroughputResult extends ThroughputCase {
  bytes: number;
  writes: number;
  /** Simulated time from the first write to the last byte served (with response: to the last response), µs. */
  simTimeUs: number;
  writesPerSimSecond: number;
  /** Application bytes per simulated second, in kbit/s. */
  kbitPerSimSecond: number;
  connectionEvents: number;
  llPdus: number;
  /** Radio-on time of all LL PDUs, µs. */
  airTimeUs: number;
}

const SERVICE = '6b1f2000c0de4a1eb1e5a1f0000a1700';
const SINK = '6b1f2001c0de4a1eb1e5a1f0000a1700';

function waitFor<T>(register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise(register);
}

async function poweredOn(
  stack: { once(e: 'stateChange', l: (s: string) => void): unknown },
  state: () => string,
): Promise<void> {
  while (state() !== 'poweredOn') await waitFor<string>((r) => stack.once('stateChange', r));
}

/** The writes of one case: its own sizes, or `bytes` cut into ATT payloads. */
function writeSizes(c: ThroughputCase, bytes: number): number[] {
  if (c.sizes) return [...c.sizes];
  const chunk = c.mtu - 3;
  const sizes: number[] = [];
  for (let at = 0; at < bytes; at += chunk) sizes.push(Math.min(chunk, bytes - at));
  return sizes;
}

/** Writes each of `sizes` bytes (0x5a) in turn, as noble resolves them; returns the number of writes. */
async function writeAll(ch: Characteristic, sizes: readonly number[], withResponse: boolean): Promise<number> {
  for (const size of sizes) await ch.writeAsync(Buffer.alloc(size, 0x5a), !withResponse);
  return sizes.length;
}

export async function measureThroughput(cases: ThroughputCase[], defaultBytes = 4096): Promise<ThroughputResult[]> {
  const air = new Air();
  const bleno: Bleno = loadBleno({ kind: 'virtual' }, { air });
  const noble: Noble = loadNoble({ kind: 'virtual' }, { air });
  await Promise.all([
    poweredOn(bleno, () => (bleno as unknown as { state: string }).state),
    poweredOn(noble as never, () => (noble as unknown as { _state: string })._state),
  ]);
  let received = 0;
  let bytes = defaultBytes;
  let onReceived: (() => void) | undefined;
  const B = bleno as unknown as {
    Characteristic: new (o: object) => unknown;
    PrimaryService: new (o: object) => unknown;
  };
  const sink = new B.Characteristic({
    uuid: SINK,
    properties: ['write', 'writeWithoutResponse'],
    onWriteRequest: (data: Buffer, _offset: number, _withoutResponse: boolean, cb: (r: number) => void) => {
      received += data.length;
      cb(0);
      if (received >= bytes) onReceived?.();
    },
  });
  await waitFor<void>((resolve) =>
    bleno.setServices([new B.PrimaryService({ uuid: SERVICE, characteristics: [sink] })] as never, () => resolve()),
  );
  bleno.startAdvertising('bench', [SERVICE]);
  setBlenoMaxMtu(bleno, 517);

  const results: ThroughputResult[] = [];
  for (const c of cases) {
    air.configureLinks({ phy: c.phy, connectionIntervalMs: c.connectionIntervalMs, dataLength: c.dataLength });
    setNobleMtu(c.mtu);
    const peripheral = await waitFor<Peripheral>((resolve) => {
      noble.once('discover', (p) => noble.stopScanning(() => resolve(p)));
      noble.startScanning([SERVICE], false);
    });
    await peripheral.connectAsync();
    const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([SERVICE], [SINK]);
    const ch = characteristics[0] as Characteristic;
    const sizes = writeSizes(c, defaultBytes);
    bytes = sizes.reduce((a, b) => a + b, 0);
    received = 0;
    const before = air.counters();
    let endUs = 0;
    const done = waitFor<void>((resolve) => {
      onReceived = () => {
        endUs = air.counters().simTimeUs;
        resolve();
      };
    });
    const writes = await writeAll(ch, sizes, c.withResponse);
    await done;
    // With response the transfer ends when the last response is back at the central.
    if (c.withResponse) endUs = air.counters().simTimeUs;
    const after = air.counters();
    const simTimeUs = endUs - before.simTimeUs;
    const { sizes: _sizes, ...shape } = c;
    results.push({
      ...shape,
      bytes,
      writes,
      simTimeUs,
      writesPerSimSecond: writes / (simTimeUs / 1e6),
      kbitPerSimSecond: (bytes * 8) / (simTimeUs / 1e6) / 1000,
      connectionEvents: after.connectionEvents - before.connectionEvents,
      llPdus: after.llPdus - before.llPdus,
      airTimeUs: after.airTimeUs - before.airTimeUs,
    });
    await peripheral.disconnectAsync();
  }
  air.close();
  return results;
}
