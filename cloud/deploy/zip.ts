/**
 * A minimal ZIP writer (stored entries, no compression; APPNOTE.TXT 6.3: local file header, central
 * directory, end of central directory): what Lambda's CreateFunction/UpdateFunctionCode take as
 * `ZipFile`. Enough for one bundled handler; Lambda's limit (50 MB zipped upload) is checked first.
 * Setup writes the package, the emulator's Lambda reads it back: one format, here between them.
 */
import { crc32 } from '../../protocol/index.js';

/** AWS Lambda: a direct upload is at most 50 MB (zipped). */
export const MAX_LAMBDA_ZIP_BYTES = 50 * 1024 * 1024;

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** DOS date/time of 1980-01-01 00:00: fixed, so the same input gives the same bytes. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function writeStoredZip(entries: readonly ZipEntry[]): Buffer {
  const total = entries.reduce((n, e) => n + e.data.length + 2 * e.name.length + 76, 22);
  if (total > MAX_LAMBDA_ZIP_BYTES)
    throw new RangeError(`the zip would be ${total} bytes, over Lambda's ${MAX_LAMBDA_ZIP_BYTES}`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.data));
    centrals.push(central, name);
    offset += local.length + name.length + e.data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/**
 * Reads the stored (uncompressed) entries of a zip through its central directory; refuses anything
 * else (compressed entries, ZIP64, multi-disk) rather than guess. Sizes are checked against the
 * buffer before anything is copied.
 */
export function readStoredZip(zip: Buffer): ZipEntry[] {
  if (zip.length > MAX_LAMBDA_ZIP_BYTES) throw new RangeError(`the zip is over ${MAX_LAMBDA_ZIP_BYTES} bytes`);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + 22 > zip.length) throw new RangeError('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw new RangeError('bad central directory entry');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const skip = nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (method !== 0)
      throw new RangeError(`entry ${name} is compressed (method ${method}); only stored entries are read`);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50)
      throw new RangeError(`bad local header for ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (start + size > zip.length) throw new RangeError(`entry ${name} runs past the end of the zip`);
    const data = zip.subarray(start, start + size);
    if (crc32(data) !== zip.readUInt32LE(p + 16)) throw new RangeError(`entry ${name}: CRC-32 mismatch`);
    entries.push({ name, data });
    p += 46 + skip;
  }
  return entries;
}
