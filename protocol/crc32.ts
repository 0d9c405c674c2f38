/**
 * CRC-32 (IEEE 802.3 / ISO-HDLC: reflected polynomial 0xEDB88320, init 0xFFFFFFFF, final XOR
 * 0xFFFFFFFF), the integrity check of a framed message (PROTOCOL.md §4.2). Check value: "123456789"
 * gives 0xCBF43926.
 */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `bytes`, as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
