// A minimal zip writer (deflate or store, no zip64): enough for Lambda deployment
// packages, so the build needs no archiver dependency. Entries get a fixed timestamp
// and Unix mode 0644, so the same bundle always yields the same bytes (an unchanged
// function is not redeployed) and Lambda can read every file.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, with forward slashes. */
  name: string;
  data: Uint8Array;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const UNIX_FILE_0644 = (0o100644 << 16) >>> 0;
const MADE_BY_UNIX = (3 << 8) | 20;

export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const deflated = deflateRawSync(entry.data, { level: 9 });
    const stored = deflated.length >= entry.data.length; // tiny or incompressible: store as is
    const body = stored ? Buffer.from(entry.data) : deflated;
    const crc = crc32(entry.data);

    // Fields shared by the local header (from "version needed") and the central record.
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0); // version needed: 2.0
    common.writeUInt16LE(0x0800, 2); // flags: names are UTF-8
    common.writeUInt16LE(stored ? 0 : 8, 4); // method: store or deflate
    common.writeUInt16LE(0, 6); // time 00:00
    common.writeUInt16LE(DOS_DATE_1980_01_01, 8);
    common.writeUInt32LE(crc, 10);
    common.writeUInt32LE(body.length, 14);
    common.writeUInt32LE(entry.data.length, 18);
    common.writeUInt16LE(name.length, 22);
    common.writeUInt16LE(0, 24); // extra field length

    const local = Buffer.concat([u32(0x04034b50), common, name, body]);
    const central = Buffer.concat([
      u32(0x02014b50),
      u16(MADE_BY_UNIX),
      common,
      u16(0), // comment length
      u16(0), // disk number
      u16(0), // internal attributes
      u32(UNIX_FILE_0644),
      u32(offset),
      name,
    ]);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0), // this disk
    u16(0), // disk with the directory
    u16(entries.length),
    u16(entries.length),
    u32(directory.length),
    u32(offset),
    u16(0), // comment length
  ]);
  return Buffer.concat([...locals, directory, end]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
