import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../codec.js';
import { ProtocolError } from '../errors.js';
import { Reassembler } from '../framing.js';
import { MessageLink } from '../link.js';
import { ReportedError } from '../notice.js';
import { parseAdvertisement } from '../advertisement.js';
import type { Message } from '../messages.js';
import { buildVectorFiles, fromHex, messageFromJson, messageToJson, toHex } from './build.js';

const here = dirname(fileURLToPath(import.meta.url));
const read = (name: string) =>
  JSON.parse(readFileSync(join(here, name), 'utf8')) as { vectors: Record<string, unknown>[] };

describe('committed test vectors', () => {
  it('match what the code generates (run `npx tsx protocol/vectors/generate.ts` after a deliberate change)', () => {
    for (const [name, content] of Object.entries(buildVectorFiles())) {
      expect(read(name), name).toEqual(JSON.parse(JSON.stringify(content)));
    }
  });

  it('decode and reassemble to the committed messages (receiver direction)', () => {
    const vectors = read('messages.json').vectors as {
      name: string;
      message: unknown;
      cbor: string;
      frames: Record<string, string[]>;
    }[];
    expect(vectors.length).toBeGreaterThanOrEqual(10);
    for (const v of vectors) {
      const message = messageFromJson(v.message) as Message;
      expect(decodeMessage(fromHex(v.cbor)), v.name).toEqual(message);
      expect(toHex(encodeMessage(message)), v.name).toBe(v.cbor);
      expect(Object.keys(v.frames)).toEqual(['20', '182', '244', '509']);
      for (const frames of Object.values(v.frames)) {
        const r = new Reassembler({ now: () => 0 });
        let out: Uint8Array | undefined;
        for (const f of frames) out = r.push(fromHex(f));
        expect(toHex(out!)).toBe(v.cbor);
      }
      expect(messageToJson(message)).toEqual(v.message);
    }
  });

  it('reject every invalid vector with its code', () => {
    for (const v of read('invalid.json').vectors as { name: string; cbor: string; error: string }[]) {
      let code = 'no error';
      try {
        decodeMessage(fromHex(v.cbor));
      } catch (e) {
        code = e instanceof ProtocolError ? e.code : String(e);
      }
      expect(code, v.name).toBe(v.error);
    }
  });

  it('parse the advertisements back', () => {
    for (const v of read('advertisements.json').vectors as {
      input: { deviceId: string; state: string };
      advertisingData: string;
      scanResponse: string;
    }[]) {
      const adv = fromHex(v.advertisingData);
      const rsp = fromHex(v.scanResponse);
      expect(adv.length).toBeLessThanOrEqual(31);
      expect(rsp.length).toBeLessThanOrEqual(31);
      const parsed = parseAdvertisement(adv, rsp)!;
      expect(v.input.deviceId.startsWith(parsed.localName!)).toBe(true);
      expect(parsed.state).toBe(v.input.state);
    }
  });

  it('read every error notice as the device code, before any session (PROTOCOL.md §4.8)', () => {
    const vectors = read('notices.json').vectors as { code: string; wire: number; notice: string; frame: string }[];
    expect(vectors.length).toBeGreaterThanOrEqual(5);
    for (const v of vectors) {
      expect(v.notice).toBe(`820719${v.wire.toString(16).padStart(4, '0')}`);
      const status = new MessageLink({ characteristic: 'status', attPayload: 20, now: () => 0 });
      let err: unknown;
      try {
        status.receive(fromHex(v.frame));
      } catch (e) {
        err = e;
      }
      expect(err, v.code).toBeInstanceOf(ReportedError);
      expect((err as ReportedError).code).toBe(v.code);
      expect((err as ReportedError).reportedWire).toBe(v.wire);
    }
  });

  it('hold a first frame at the limit of each characteristic and refuse one byte more at once', () => {
    const vectors = read('limits.json').vectors as {
      characteristic: 'session' | 'wifi' | 'claim' | 'control';
      maxMessageBytes: number;
      acceptedFirstFrame: string;
      rejectedFirstFrame: string;
      error: string;
    }[];
    expect(vectors.find((v) => v.characteristic === 'session')?.maxMessageBytes).toBe(128);
    for (const v of vectors) {
      const link = new MessageLink({ characteristic: v.characteristic, attPayload: 20, now: () => 0 });
      expect(link.receiveBytes(fromHex(v.acceptedFirstFrame))).toBeUndefined();
      link.reset();
      let code = 'no error';
      try {
        link.receiveBytes(fromHex(v.rejectedFirstFrame));
      } catch (e) {
        code = e instanceof ProtocolError ? e.code : String(e);
      }
      expect(code, v.characteristic).toBe(v.error);
      expect(link.bufferedBytes).toBe(0);
    }
  });
});
