/**
 * The few bytes of DER (X.690) the page needs: walk a certificate to its validity and read the
 * notBefore/notAfter times (RFC 5280 §4.1). Bounds-checked, no dependencies, so it costs the
 * bundle a few hundred bytes instead of an X.509 library.
 */

/** Deepest length form accepted: 4 length bytes (4 GiB), far above any certificate. */
const MAX_LENGTH_BYTES = 4;

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_VERSION = 0xa0;

export class DerError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'DerError';
  }
}

export interface DerNode {
  readonly tag: number;
  /** Offset of the content (after tag and length). */
  readonly start: number;
  /** Offset just past the content. */
  readonly end: number;
}

/** Reads the tag-length header at `offset` and returns where the content lies. */
export function readNode(der: Uint8Array, offset: number, limit = der.length): DerNode {
  if (offset + 2 > limit) throw new DerError('truncated header');
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used in certificates');
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > MAX_LENGTH_BYTES) throw new DerError('unsupported length form');
    if (start + n > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  const end = start + length;
  if (end > limit) throw new DerError('content runs past its container');
  return { tag, start, end };
}

function expect(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

function digits(text: string, from: number, count: number): number {
  const part = text.slice(from, from + count);
  if (!/^[0-9]+$/.test(part) || part.length !== count) throw new DerError('malformed time');
  return Number(part);
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), as ms since the epoch. */
export function readTime(der: Uint8Array, node: DerNode): number {
  const text = String.fromCharCode(...der.subarray(node.start, node.end));
  let year: number;
  let rest: number;
  if (node.tag === TAG_UTC_TIME) {
    if (text.length !== 13) throw new DerError('malformed UTCTime');
    const yy = digits(text, 0, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = 2;
  } else if (node.tag === TAG_GENERALIZED_TIME) {
    if (text.length !== 15) throw new DerError('malformed GeneralizedTime');
    year = digits(text, 0, 4);
    rest = 4;
  } else {
    throw new DerError('expected a time');
  }
  if (text[text.length - 1] !== 'Z') throw new DerError('times must be in UTC');
  const month = digits(text, rest, 2);
  const day = digits(text, rest + 2, 2);
  const hour = digits(text, rest + 4, 2);
  const minute = digits(text, rest + 6, 2);
  const second = digits(text, rest + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    throw new DerError('time out of range');
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

export interface Validity {
  /** ms since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The validity of an X.509 certificate in DER: Certificate → tbsCertificate → validity. */
export function certificateValidity(der: Uint8Array): Validity {
  const cert = expect(readNode(der, 0), TAG_SEQUENCE, 'a certificate');
  if (cert.end !== der.length) throw new DerError('trailing bytes after the certificate');
  const tbs = expect(readNode(der, cert.start, cert.end), TAG_SEQUENCE, 'tbsCertificate');
  let node = readNode(der, tbs.start, tbs.end);
  if (node.tag === TAG_VERSION) node = readNode(der, node.end, tbs.end);
  expect(node, TAG_INTEGER, 'the serial number');
  const signature = expect(readNode(der, node.end, tbs.end), TAG_SEQUENCE, 'the signature algorithm');
  const issuer = expect(readNode(der, signature.end, tbs.end), TAG_SEQUENCE, 'the issuer');
  const validity = expect(readNode(der, issuer.end, tbs.end), TAG_SEQUENCE, 'the validity');
  const notBefore = readNode(der, validity.start, validity.end);
  const notAfter = readNode(der, notBefore.end, validity.end);
  return { notBefore: readTime(der, notBefore), notAfter: readTime(der, notAfter) };
}
