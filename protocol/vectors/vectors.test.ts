import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../codec.js';
import { ProtocolError } from '../errors.js';
import { Reassembler } from '../framing.js';
import { parseAdvertisement } from '../advertisement.js';
import type { Message } from '../messages.js';
import { buildVectorFiles, fromHex, messageFromJson, messageToJson, toHex } from './build.js';

const here = dirname(fileURLToPath(import.meta.url));
const read = (name: string) => JSON.parse(readFileSync(join(here, name), 'utf8')) as { vectors: Record<string, unknown>[] };

describe('committed test vectors', () => {
  it('match what the code generates (run `npx tsx protocol/vectors/generate.ts` after a deliberate change)', () => {
    for (const [name, content] of Object.entries(buildVectorFiles())) {
      expect(read(name), name).toEqual(JSON.parse(JSON.stringify(content)));
    }
  });

  it('decode and reassemble to the committed messages (receiver direction)', () => {
    const vectors = read('messages.json').vectors as { name: string; message: unknown; cbor: string; frames: Record<string, string[]> }[];
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
      try { decodeMessage(fromHex(v.cbor)); } catch (e) { code = e instanceof ProtocolError ? e.code : String(e); }
      expect(code, v.name).toBe(v.error);
    }
  });

  it('parse the advertisements back', () => {
    for (const v of read('advertisements.json').vectors as { input: { deviceId: string; state: string }; advertisingData: string; scanResponse: string }[]) {
      const adv = fromHex(v.advertisingData);
      const rsp = fromHex(v.scanResponse);
      expect(adv.length).toBeLessThanOrEqual(31);
      expect(rsp.length).toBeLessThanOrEqual(31);
      const parsed = parseAdvertisement(adv, rsp)!;
      expect(v.input.deviceId.startsWith(parsed.localName!)).toBe(true);
      expect(parsed.state).toBe(v.input.state);
    }
  });
});
