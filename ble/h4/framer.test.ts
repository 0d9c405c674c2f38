import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H4Framer, H4FramingError } from './framer.js';
import { h4Acl, h4Command, h4Event } from './packets.js';

function collect(): { framer: H4Framer; out: Buffer[] } {
  const out: Buffer[] = [];
  return { framer: new H4Framer((p) => out.push(p)), out };
}

const packetArb = fc.oneof(
  fc
    .record({ op: fc.integer({ min: 0, max: 0xffff }), p: fc.uint8Array({ maxLength: 255 }) })
    .map(({ op, p }) => h4Command(op, p)),
  fc
    .record({ code: fc.integer({ min: 0, max: 0xff }), p: fc.uint8Array({ maxLength: 255 }) })
    .map(({ code, p }) => h4Event(code, p)),
  fc
    .record({
      h: fc.integer({ min: 0, max: 0xfff }),
      pb: fc.integer({ min: 0, max: 3 }),
      p: fc.uint8Array({ maxLength: 1100 }),
    })
    .map(({ h, pb, p }) => h4Acl(h, pb, p)),
);

describe('H4Framer', () => {
  it('frames a command, an event and an ACL packet given in one read', () => {
    const { framer, out } = collect();
    const cmd = Buffer.from('01030c00', 'hex');
    const evt = Buffer.from('040e0401030c00', 'hex');
    const acl = Buffer.from('024000050001000400010203', 'hex').subarray(0, 5 + 5);
    acl.writeUInt16LE(5, 3);
    framer.push(Buffer.concat([cmd, evt, acl]));
    expect(out.map((b) => b.toString('hex'))).toEqual([cmd.toString('hex'), evt.toString('hex'), acl.toString('hex')]);
    expect(framer.buffered).toBe(0);
  });

  it('frames a 16-bit ACL length and a 14-bit ISO length', () => {
    const { framer, out } = collect();
    const acl = h4Acl(0x40, 2, new Uint8Array(300));
    const iso = Buffer.concat([Buffer.from([0x05, 0x01, 0x00, 0x02, 0xc0]), Buffer.alloc(2)]);
    framer.push(Buffer.concat([acl, iso]));
    expect(out).toEqual([acl, iso]);
  });

  it('holds an incomplete packet until the rest arrives, byte by byte', () => {
    const { framer, out } = collect();
    const evt = h4Event(0x3e, Buffer.from('0102030405', 'hex'));
    for (const byte of evt.subarray(0, -1)) framer.push(Buffer.from([byte]));
    expect(out).toHaveLength(0);
    expect(framer.buffered).toBe(evt.length - 1);
    framer.push(evt.subarray(-1));
    expect(out).toEqual([evt]);
  });

  it('rejects an unknown indicator and stays failed (the stream cannot be resynchronised)', () => {
    const { framer, out } = collect();
    expect(() => framer.push(Buffer.from([0x07, 0x00]))).toThrow(H4FramingError);
    framer.push(h4Event(0x0e, new Uint8Array(4)));
    expect(out).toHaveLength(0);
  });

  it('yields the same packets however the stream is split or merged', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 1 << 16 }), { maxLength: 40 }),
        (packets, cutsRaw) => {
          const stream = Buffer.concat(packets);
          const cuts = [...new Set(cutsRaw.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const { framer, out } = collect();
          let at = 0;
          for (const cut of [...cuts, stream.length]) {
            framer.push(stream.subarray(at, cut));
            at = cut;
          }
          expect(out).toEqual(packets);
          expect(framer.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands out copies that later reads do not change', () => {
    const { framer, out } = collect();
    const chunk = Buffer.concat([h4Event(0x0e, Buffer.from([1, 2, 3, 4])), h4Event(0x0f, Buffer.from([0]))]);
    framer.push(chunk);
    chunk.fill(0);
    expect(out[0]).toEqual(h4Event(0x0e, Buffer.from([1, 2, 3, 4])));
  });
});
