/** Request/response payloads of the fleet-provisioning API in its two formats, JSON and CBOR. */
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import type { PayloadFormat } from './topics.js';

export function decodePayload(format: PayloadFormat, payload: Buffer): unknown {
  if (format === 'json') return payload.length === 0 ? {} : (JSON.parse(payload.toString('utf8')) as unknown);
  return payload.length === 0 ? {} : (cborDecode(payload) as unknown);
}

export function encodePayload(format: PayloadFormat, body: unknown): Buffer {
  return format === 'json' ? Buffer.from(JSON.stringify(body), 'utf8') : Buffer.from(cborEncode(body));
}
