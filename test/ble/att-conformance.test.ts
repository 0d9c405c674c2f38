/**
 * ATT conformance of the device's GATT server (bleno 0.6.2 with ble/patches/bleno-att.mjs), checked
 * PDU by PDU by a raw ATT client on the virtual air (att-client.ts). Each case fails on the
 * unpatched bleno. ATT is sequential (Core spec Vol 3 Part F 3.3.2): a request sent after a command
 * is answered after anything the command caused, so "the first PDU after the command is the
 * response to the next request" proves that the command was not answered, without any timing.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Air, loadBleno, setDefaultAir } from '../../ble/index.js';
import type { Bleno } from '../../ble/index.js';
import { ATT, ATT_ERROR, RawAttClient, errorOf, pdu } from './att-client.js';

const SERVICE = '6b1f0101c0de4a1eb1e5a1f0000a1700';
const READ_ONLY_CHAR = '6b1f0102c0de4a1eb1e5a1f0000a1700';
const WRITE_CHAR = '6b1f0103c0de4a1eb1e5a1f0000a1700';
const READ_VALUE = Buffer.from('read-only value');
/** Longest attribute value (Vol 3 Part F 3.2.9). */
const MAX_VALUE = 512;

interface Write {
  data: Buffer;
  offset: number;
  withoutResponse: boolean;
}

let air: Air;
let bleno: Bleno;
let address = '';
const writes: Write[] = [];
let client: RawAttClient | undefined;

function setUpPeripheral(): Promise<void> {
  const B = bleno as unknown as {
    Characteristic: new (o: object) => unknown;
    PrimaryService: new (o: object) => unknown;
  };
  const readOnly = new B.Characteristic({
    uuid: READ_ONLY_CHAR,
    properties: ['read'],
    onReadRequest: (offset: number, cb: (r: number, d?: Buffer) => void) => cb(0, READ_VALUE.subarray(offset)),
  });
  const writable = new B.Characteristic({
    uuid: WRITE_CHAR,
    properties: ['write', 'writeWithoutResponse'],
    onWriteRequest: (data: Buffer, offset: number, withoutResponse: boolean, cb: (r: number) => void) => {
      writes.push({ data: Buffer.from(data), offset, withoutResponse });
      cb(0);
    },
  });
  return new Promise((resolve, reject) => {
    bleno.setServices(
      [new B.PrimaryService({ uuid: SERVICE, characteristics: [readOnly, writable] })] as never,
      (err) => {
        if (err) return reject(err);
        bleno.once('advertisingStart', (e?: Error | null) => (e ? reject(e) : resolve()));
        bleno.startAdvertising('att-dut', [SERVICE]);
      },
    );
  });
}

function poweredOn(): Promise<void> {
  const b = bleno as unknown as { state: string; on(e: string, l: (s: string) => void): void };
  if (b.state === 'poweredOn') return Promise.resolve();
  return new Promise((resolve) => b.on('stateChange', (s) => s === 'poweredOn' && resolve()));
}

/** Connects a fresh raw client (ATT_MTU 23, or `mtu` after an exchange) and finds the handles. */
async function open(mtu?: number): Promise<{ c: RawAttClient; readOnly: number; writable: number; mtu: number }> {
  const c = await RawAttClient.connect(air, address);
  client = c;
  const agreed = mtu === undefined ? 23 : await c.exchangeMtu(mtu);
  const chars = await c.characteristics();
  const handleOf = (uuid: string): number => {
    const found = chars.find((ch) => ch.uuid === uuid);
    if (!found) throw new Error(`characteristic ${uuid} not discovered`);
    return found.valueHandle;
  };
  writes.length = 0;
  return { c, readOnly: handleOf(READ_ONLY_CHAR), writable: handleOf(WRITE_CHAR), mtu: agreed };
}

/** Reads the read-only characteristic; returns the PDU that came back first. */
async function readAfter(c: RawAttClient, readOnly: number): Promise<Buffer> {
  return c.request(pdu.read(readOnly));
}

const bytes = (n: number, seed = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

beforeAll(async () => {
  air = new Air();
  setDefaultAir(air);
  bleno = loadBleno('virtual');
  await poweredOn();
  address = (bleno as unknown as { address: string }).address;
  await setUpPeripheral();
});

afterEach(async () => {
  await client?.disconnect();
  client = undefined;
});

describe('Write Commands are never answered (Vol 3 Part F 3.4.5.3)', () => {
  it('a Write Command to a read-only characteristic gets no Error Response: the next request gets its own answer', async () => {
    const { c, readOnly } = await open();
    c.send(pdu.writeCommand(readOnly, Buffer.from('nope')));
    const first = await readAfter(c, readOnly);
    expect(errorOf(first)).toBeUndefined();
    expect(first).toEqual(Buffer.concat([Buffer.from([ATT.READ_RSP]), READ_VALUE]));
  });

  it('nor does a Write Command to a handle that does not exist, or a Signed Write Command', async () => {
    const { c, readOnly, writable } = await open();
    c.send(pdu.writeCommand(0x7ff0, Buffer.from('x')));
    c.send(pdu.signedWriteCommand(writable, Buffer.from('signed')));
    const before = c.received.length;
    const first = await readAfter(c, readOnly);
    expect(first[0]).toBe(ATT.READ_RSP);
    expect(c.received.length).toBe(before + 1);
    expect(writes).toEqual([]);
  });

  it('a Write Command to a writable characteristic is still delivered', async () => {
    const { c, readOnly, writable } = await open();
    c.send(pdu.writeCommand(writable, Buffer.from('fire and forget')));
    expect((await readAfter(c, readOnly))[0]).toBe(ATT.READ_RSP);
    expect(writes).toEqual([{ data: Buffer.from('fire and forget'), offset: 0, withoutResponse: true }]);
  });
});

describe('PDUs longer than ATT_MTU are refused (Vol 3 Part F 3.2.8)', () => {
  it('a Write Request one octet over ATT_MTU 23 gets Invalid PDU and is not written; one that fits is', async () => {
    const { c, writable, mtu } = await open();
    expect(mtu).toBe(23);
    const over = await c.request(pdu.write(writable, bytes(mtu - 3 + 1)));
    expect(errorOf(over)).toEqual({ request: ATT.WRITE_REQ, handle: 0, code: ATT_ERROR.INVALID_PDU });
    expect(writes).toEqual([]);

    const fits = await c.request(pdu.write(writable, bytes(mtu - 3)));
    expect(fits).toEqual(Buffer.from([ATT.WRITE_RSP]));
    expect(writes.map((w) => w.data.length)).toEqual([mtu - 3]);
  });

  it('an over-MTU Write Command is dropped silently', async () => {
    const { c, readOnly, writable } = await open();
    c.send(pdu.writeCommand(writable, bytes(40)));
    expect((await readAfter(c, readOnly))[0]).toBe(ATT.READ_RSP);
    expect(writes).toEqual([]);
  });

  it('the limit is the negotiated ATT_MTU: 247 after an exchange', async () => {
    const { c, writable, mtu } = await open(247);
    expect(mtu).toBe(247);
    expect(await c.request(pdu.write(writable, bytes(244)))).toEqual(Buffer.from([ATT.WRITE_RSP]));
    expect(errorOf(await c.request(pdu.write(writable, bytes(245))))?.code).toBe(ATT_ERROR.INVALID_PDU);
    expect(writes.map((w) => w.data.length)).toEqual([244]);
  });

  it('a Write Request of 513 octets gets Invalid Attribute Value Length even within ATT_MTU 517 (3.2.9)', async () => {
    const { c, writable, mtu } = await open(517);
    expect(mtu).toBe(517);
    expect(errorOf(await c.request(pdu.write(writable, bytes(MAX_VALUE + 1))))).toEqual({
      request: ATT.WRITE_REQ,
      handle: writable,
      code: ATT_ERROR.INVALID_ATTRIBUTE_VALUE_LENGTH,
    });
    expect(await c.request(pdu.write(writable, bytes(MAX_VALUE)))).toEqual(Buffer.from([ATT.WRITE_RSP]));
    expect(writes.map((w) => w.data.length)).toEqual([MAX_VALUE]);
  });
});

describe('prepared writes are bounded to one 512-octet value (Vol 3 Part F 3.4.6)', () => {
  /** Sends `total` octets as Prepare Write parts of ATT_MTU − 5; returns each answer. */
  async function prepare(c: RawAttClient, handle: number, mtu: number, total: number, seed = 0): Promise<Buffer[]> {
    const value = bytes(total, seed);
    const answers: Buffer[] = [];
    for (let offset = 0; offset < total; offset += mtu - 5) {
      answers.push(await c.request(pdu.prepareWrite(handle, offset, value.subarray(offset, offset + mtu - 5))));
    }
    return answers;
  }

  it('a 600-octet prepared write: the part past 512 gets Prepare Queue Full, Execute gets Invalid Attribute Value Length, nothing is written', async () => {
    const { c, writable, mtu } = await open(247);
    const answers = await prepare(c, writable, mtu, 600);
    expect(answers.map((a) => a[0])).toEqual([ATT.PREPARE_WRITE_RSP, ATT.PREPARE_WRITE_RSP, ATT.ERROR_RSP]);
    expect(errorOf(answers[2]!)).toEqual({
      request: ATT.PREPARE_WRITE_REQ,
      handle: writable,
      code: ATT_ERROR.PREPARE_QUEUE_FULL,
    });
    const executed = await c.request(pdu.executeWrite(1));
    expect(errorOf(executed)).toEqual({
      request: ATT.EXECUTE_WRITE_REQ,
      handle: writable,
      code: ATT_ERROR.INVALID_ATTRIBUTE_VALUE_LENGTH,
    });
    expect(writes).toEqual([]);

    // The queue was cleared: a 512-octet value goes through whole, once.
    const again = await prepare(c, writable, mtu, MAX_VALUE, 7);
    expect(again.every((a) => a[0] === ATT.PREPARE_WRITE_RSP)).toBe(true);
    expect(await c.request(pdu.executeWrite(1))).toEqual(Buffer.from([ATT.EXECUTE_WRITE_RSP]));
    expect(writes).toEqual([{ data: bytes(MAX_VALUE, 7), offset: 0, withoutResponse: false }]);
  });

  it('every part after the overflow is refused too, and cancelling (flags 0x00) succeeds without writing', async () => {
    const { c, writable, mtu } = await open(23);
    const answers = await prepare(c, writable, mtu, 600);
    const firstRefused = answers.findIndex((a) => a[0] !== ATT.PREPARE_WRITE_RSP);
    // Parts of 18 octets: 28 fit in 512 (504), the 29th would end at 522.
    expect(firstRefused).toBe(Math.floor(MAX_VALUE / (mtu - 5)));
    expect(answers.slice(firstRefused).every((a) => errorOf(a)?.code === ATT_ERROR.PREPARE_QUEUE_FULL)).toBe(true);
    expect(await c.request(pdu.executeWrite(0))).toEqual(Buffer.from([ATT.EXECUTE_WRITE_RSP]));
    expect(writes).toEqual([]);
  });
});

describe('malformed PDUs are refused, never stop the server (Vol 3 Part F 3.4.1.1, 3.4.3.1)', () => {
  /** Sends `bad` then a Read; returns the first PDU back (asserted before waiting for more). */
  async function firstAnswer(c: RawAttClient, readOnly: number, bad: Buffer): Promise<Buffer> {
    c.send(bad);
    c.send(pdu.read(readOnly));
    return c.next();
  }

  it.each([
    ['Read without a handle', '0a'],
    ['Read Blob without a whole offset', '0c0300'],
    ['Write without a handle', '12'],
    ['Prepare Write without an offset', '160300'],
    ['Execute Write without flags', '18'],
    ['Exchange MTU without a whole MTU', '0201'],
    ['Find Information without an end handle', '040100'],
    ['Find By Type Value without a type', '060100ffff'],
    ['Read By Type without a type', '080100ffff'],
    ['Read By Type with a 3-octet type', '080100ffff0028aa'],
    ['Read By Group Type without a type', '100100ffff'],
  ])('%s (%s) gets Invalid PDU', async (_name, hex) => {
    const { c, readOnly } = await open();
    const bad = Buffer.from(hex, 'hex');
    const first = await firstAnswer(c, readOnly, bad);
    expect(errorOf(first)).toEqual({ request: bad[0], handle: 0, code: ATT_ERROR.INVALID_PDU });
    expect(await c.next()).toEqual(Buffer.concat([Buffer.from([ATT.READ_RSP]), READ_VALUE]));
  });

  it('a short Write Command and an empty PDU get nothing', async () => {
    const { c, readOnly } = await open();
    c.send(Buffer.from('52', 'hex'));
    expect((await firstAnswer(c, readOnly, Buffer.alloc(0)))[0]).toBe(ATT.READ_RSP);
    expect(writes).toEqual([]);
  });

  it('Find By Type Value with an empty value (allowed, 3.4.3.3) finds nothing', async () => {
    const { c, readOnly } = await open();
    const first = await firstAnswer(c, readOnly, Buffer.from('060100ffff0028', 'hex'));
    expect(errorOf(first)).toEqual({ request: 0x06, handle: 1, code: ATT_ERROR.ATTRIBUTE_NOT_FOUND });
  });

  it.each([
    ['starting at 0x0000', '040000ffff', 0x0000],
    ['ending before its start', '0405000100', 0x0005],
  ])('a handle range %s gets Invalid Handle', async (_name, hex, start) => {
    const { c, readOnly } = await open();
    const first = await firstAnswer(c, readOnly, Buffer.from(hex, 'hex'));
    expect(errorOf(first)).toEqual({ request: 0x04, handle: start, code: ATT_ERROR.INVALID_HANDLE });
  });
});
