/** Request/response payloads of the fleet-provisioning API in its two formats, JSON and CBOR. */
import { Encoder, decode as cborDecode } from 'cbor-x';
import type { PayloadFormat } from './topics.js';

/**
 * CBOR in its preferred serialization (RFC 8949 §4.1): every map header in its shortest form, as
 * AWS IoT's own answers are. cbor-x's default writes maps with a fixed 2-byte length (`b9 00 01`),
 * which strict decoders (ours in `protocol/`, "deterministic" ones) refuse; `useRecords: false`
 * keeps cbor-x's record extension off the wire.
 */
const encoder = new Encoder({ variableMapSize: true, useRecords: false });

export function decodePayload(format: PayloadFormat, payload: Buffer): unknown {
  if (format === 'json') return payload.length === 0 ? {} : (JSON.parse(payload.toString('utf8')) as unknown);
  return payload.length === 0 ? {} : (cborDecode(payload) as unknown);
}

export function encodePayload(format: PayloadFormat, body: unknown): Buffer {
  return format === 'json' ? Buffer.from(JSON.stringify(body), 'utf8') : Buffer.from(encoder.encode(body));
}
