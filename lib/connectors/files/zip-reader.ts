// Reads ZIP archives (fromCompression=ZIP) straight from a FileStore by byte ranges:
// the end-of-central-directory record from the archive's tail, the central directory
// from its offset, then each entry from its local header, inflated as a stream (stored
// and deflate entries). Memory is bounded by one stream chunk whatever an entry's size;
// the central directory alone is held whole (its size is the archive's metadata). The
// central directory is the authority for names and sizes, so entries written with a
// trailing data descriptor read the same. ZIP64, multi-disk and encrypted archives are
// refused with a message saying so.
import { Readable } from 'node:stream';
import { createInflateRaw, crc32 } from 'node:zlib';
import type { FileInfo, FileStore } from './file-store';

export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly compressedSize: number;
  /** Uncompressed size. */
  readonly size: number;
  readonly crc: number;
  readonly localHeaderOffset: number;
}

/** The archive cannot be read; the source adds the file's name. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT = 0xffff;

/** The archive's file entries (directories left out), in central-directory order. */
export async function zipEntries(store: FileStore, f: FileInfo): Promise<ZipEntry[]> {
  const tailStart = Math.max(0, f.size - EOCD_BYTES - MAX_COMMENT);
  const tail = await readRange(store, f.path, tailStart, f.size - tailStart);
  let at = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipFormatError('it is not a ZIP archive (no end-of-central-directory record)');
  if (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR_SIG) throw new ZipFormatError('ZIP64 archives are not supported');
  const disk = tail.readUInt16LE(at + 4);
  const cdDisk = tail.readUInt16LE(at + 6);
  const count = tail.readUInt16LE(at + 10);
  const cdSize = tail.readUInt32LE(at + 12);
  const cdOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new ZipFormatError('ZIP64 archives are not supported');
  if (disk !== 0 || cdDisk !== 0) throw new ZipFormatError('multi-volume archives are not supported');
  if (cdOffset + cdSize > f.size) throw new ZipFormatError('its central directory lies beyond the end of the file');

  const cd = await readRange(store, f.path, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  // The whole directory is read, by its size: an entry past the count is never passed over unread.
  let i = 0;
  for (; p < cd.length; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw new ZipFormatError(`its central directory is damaged at entry ${i + 1}`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    const compressedSize = cd.readUInt32LE(p + 20);
    const size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const localHeaderOffset = cd.readUInt32LE(p + 42);
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if (flags & 0x1) throw new ZipFormatError(`entry ${name} is encrypted; encrypted archives are not supported`);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localHeaderOffset === 0xffffffff) {
      throw new ZipFormatError(`entry ${name} needs ZIP64, which is not supported`);
    }
    if (method !== 0 && method !== 8) throw new ZipFormatError(`entry ${name} uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    entries.push({ name, method, compressedSize, size, crc, localHeaderOffset });
  }
  // The record's 16-bit count may have wrapped (writers without ZIP64 past 65535 entries); anything else is damage.
  if (i % 0x10000 !== count) throw new ZipFormatError(`its central directory holds ${i} entries, its end record says ${count}`);
  return entries;
}

/**
 * An entry's uncompressed bytes, streamed; its size and CRC-32 are checked at the end, before
 * its last chunk is given: a consumer that completes a file with its last bytes (a binary
 * copy's sink) never completes one that fails the check. `onRead` sees the archive bytes read (for BYTES_READ).
 */
export async function* entryContent(store: FileStore, path: string, e: ZipEntry, onRead?: (n: number) => void): AsyncGenerator<Buffer> {
  const raw = Readable.from(compressed(store, path, e, onRead));
  const out: Readable = e.method === 8 ? raw.pipe(createInflateRaw()) : raw;
  if (out !== raw) raw.on('error', (err) => out.destroy(err));
  let crc = 0;
  let size = 0;
  /** The latest chunk, given once another follows or the checks pass. */
  let held: Buffer | undefined;
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (size > e.size) throw new ZipFormatError(`entry ${e.name} holds more than the ${e.size} bytes its directory says`);
      if (held) yield held;
      held = chunk;
    }
  } catch (err) {
    if (err instanceof ZipFormatError) throw err;
    throw new ZipFormatError(`entry ${e.name} cannot be inflated: ${(err as Error).message}`);
  } finally {
    out.destroy();
    raw.destroy();
  }
  if (size !== e.size) throw new ZipFormatError(`entry ${e.name} holds ${size} bytes, its directory says ${e.size}`);
  if (crc >>> 0 !== e.crc) throw new ZipFormatError(`entry ${e.name} fails its CRC-32 check`);
  if (held) yield held;
}

/** The entry's stored bytes: after its local header, exactly compressedSize of them. */
async function* compressed(store: FileStore, path: string, e: ZipEntry, onRead?: (n: number) => void): AsyncGenerator<Buffer> {
  const stream = await store.read(path, e.localHeaderOffset);
  let head = Buffer.alloc(0);
  let skip = -1;
  let left = e.compressedSize;
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      let chunk = c;
      onRead?.(chunk.length);
      if (skip < 0) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 30) continue;
        if (head.readUInt32LE(0) !== LOCAL_SIG) throw new ZipFormatError(`entry ${e.name} has no local header where the directory says`);
        skip = 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
        chunk = head;
      }
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
        if (skip > 0) continue;
      }
      if (left === 0) return;
      if (chunk.length === 0) continue;
      const piece = chunk.subarray(0, left);
      left -= piece.length;
      yield piece;
      if (left === 0) return;
    }
  } finally {
    stream.destroy();
  }
  if (skip !== 0 || left > 0) throw new ZipFormatError(`entry ${e.name} is cut short`);
}

async function readRange(store: FileStore, path: string, start: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let got = 0;
  if (length === 0) return out;
  const stream = await store.read(path, start);
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      const n = Math.min(c.length, length - got);
      c.copy(out, got, 0, n);
      got += n;
      if (got === length) break;
    }
  } finally {
    stream.destroy();
  }
  if (got < length) throw new ZipFormatError('it is shorter than its directory says');
  return out;
}
