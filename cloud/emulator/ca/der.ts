/**
 * Just enough DER (ITU-T X.690) for the CA's hot path: walking a PKCS#10 request or a certificate
 * to the fields it needs (copied as they are, never re-encoded) and assembling a certificate from
 * parts. Anything the reader does not like throws {@link DerError}.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  /** [0] constructed: a certificate's version, a request's attributes. */
  context0: 0xa0,
  /** [3] constructed: a certificate's extensions. */
  context3: 0xa3,
} as const;

/** One element: its tag, its encoding `bytes` (header and content) and its `content`. */
export interface Tlv {
  tag: number;
  bytes: Buffer;
  content: Buffer;
}

/** The element starting at `offset` of `der` (single-byte tags, definite lengths only, as DER has). */
export function readTlv(der: Buffer, offset = 0): Tlv {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) throw new DerError('truncated or long tag');
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length');
    length = 0;
    for (let i = 0; i < n; i++) {
      const b = der[offset + 2 + i];
      if (b === undefined) throw new DerError('truncated length');
      length = length * 256 + b;
    }
    header += n;
  }
  const end = offset + header + length;
  if (end > der.length) throw new DerError('element longer than its container');
  return { tag, bytes: der.subarray(offset, end), content: der.subarray(offset + header, end) };
}

/** The elements inside a constructed element; its content must be exactly those. */
export function childrenOf(parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < parent.content.length;) {
    const child = readTlv(parent.content, at);
    out.push(child);
    at += child.bytes.length;
  }
  return out;
}

/** The one element that is the whole of `der`, with the tag expected. */
export function readWhole(der: Buffer, tag: number): Tlv {
  const tlv = readTlv(der);
  if (tlv.tag !== tag || tlv.bytes.length !== der.length)
    throw new DerError('not a single element of the expected type');
  return tlv;
}

/**
 * The first elements inside `parent`, checked against `tags` (one each); with `exact`, there may be
 * no others.
 */
export function expectChildren<const T extends readonly number[]>(
  parent: Tlv,
  tags: T,
  exact = false,
): { readonly [K in keyof T]: Tlv } {
  const kids = childrenOf(parent);
  if (kids.length < tags.length || (exact && kids.length !== tags.length) || tags.some((t, i) => kids[i]?.tag !== t))
    throw new DerError('unexpected structure');
  return kids as unknown as { readonly [K in keyof T]: Tlv };
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** An element of `tag` whose content is `parts` one after the other. */
export function encode(tag: number, ...parts: Uint8Array[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.of(tag), lengthBytes(content.length), content]);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, UTC. */
export function encodeTime(d: Date): Buffer {
  const year = d.getUTCFullYear();
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return year < 2050
    ? encode(TAG.utcTime, Buffer.from(`${two(year % 100)}${rest}`, 'latin1'))
    : encode(TAG.generalizedTime, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'latin1'));
}

/** The bits of a BIT STRING whose bit count is a multiple of eight (keys, signatures). */
export function bitStringBytes(tlv: Tlv): Buffer {
  if (tlv.tag !== TAG.bitString || tlv.content[0] !== 0) throw new DerError('not a whole-byte BIT STRING');
  return tlv.content.subarray(1);
}

/** PEM of one DER object, 64 base64 characters a line, ending with a newline. */
export function toPem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
