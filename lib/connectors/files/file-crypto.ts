// Ferry's AES-256-GCM file format, for toJobConfig.encryption / fromJobConfig.decryption
// with a key given in the job (`dek`, 64 hex characters). Streaming, so memory stays at
// one segment whatever the file size, and every byte is authenticated before it is used:
//
//   header   = "FERRYGCM" | version 1 | segment size (u32 BE) | salt (32 random bytes)
//   segments = nonce (12) | ciphertext | tag (16), each holding SEGMENT_BYTES of plaintext
//              except the last, which holds fewer (possibly none)
//
// Each file has its own keys, derived from the dek and its salt (HKDF-SHA256). Segment i
// is sealed with the header, i and a last-segment flag as additional data, so reordered,
// dropped, truncated or appended segments and an edited header fail to decrypt. The nonce
// is synthetic (SIV style): an HMAC of (i, flag, plaintext) under the file's MAC key. A part
// rewritten after a crash thus reproduces its bytes exactly (the sink keeps the salt in its
// checkpoint), and even if the source changed in between, different plaintext never meets
// a nonce already used — the GCM nonce-reuse break cannot happen.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { errors } from '../../errors';
import type { FileInfo, FileStore, StagedFile } from './file-store';

const MAGIC = Buffer.from('FERRYGCM', 'latin1');
const VERSION = 1;
/** Plaintext bytes per segment; divides the binary source's pieces, so every piece starts a segment. */
export const SEGMENT_BYTES = 64 * 1024;
const SALT_BYTES = 32;
export const HEADER_BYTES = MAGIC.length + 1 + 4 + SALT_BYTES;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Ciphertext bytes a segment adds to its plaintext. */
export const SEGMENT_OVERHEAD = NONCE_BYTES + TAG_BYTES;
const UNIT = SEGMENT_BYTES + SEGMENT_OVERHEAD;

export const ALGORITHM = 'AES-256-GCM';

/** The job's key, checked: a message names the input, never its value. */
export function parseDek(hex: string | undefined, input: string): Buffer {
  if (!hex || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw errors.invalidParameter(`${input} must be 64 hexadecimal characters (a 256-bit AES key).`);
  }
  return Buffer.from(hex, 'hex');
}

/** A new file's randomness (hex): kept in the sink's checkpoint so retried parts repeat their bytes. */
export function newSalt(): string {
  return randomBytes(SALT_BYTES).toString('hex');
}

export interface FileCipher {
  readonly header: Buffer;
  seal(index: number, plain: Buffer, last: boolean): Buffer;
  /** Undefined when the segment does not authenticate. */
  open(index: number, sealed: Buffer, last: boolean): Buffer | undefined;
}

export function fileCipher(dek: Buffer, saltHex: string): FileCipher {
  const salt = Buffer.from(saltHex, 'hex');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, MAGIC.length);
  header.writeUInt32BE(SEGMENT_BYTES, MAGIC.length + 1);
  salt.copy(header, MAGIC.length + 5);
  const keys = Buffer.from(hkdfSync('sha256', dek, salt, 'ferry file AES-256-GCM v1', 64));
  const encKey = keys.subarray(0, 32);
  const macKey = keys.subarray(32);
  const position = (index: number, last: boolean) => {
    const b = Buffer.alloc(9);
    b.writeBigUInt64BE(BigInt(index));
    b.writeUInt8(last ? 1 : 0, 8);
    return b;
  };
  return {
    header,
    seal(index, plain, last) {
      const pos = position(index, last);
      const nonce = createHmac('sha256', macKey).update(pos).update(plain).digest().subarray(0, NONCE_BYTES);
      const c = createCipheriv('aes-256-gcm', encKey, nonce);
      c.setAAD(Buffer.concat([header, pos]));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    open(index, sealed, last) {
      if (sealed.length < SEGMENT_OVERHEAD || sealed.length > UNIT) return undefined;
      const d = createDecipheriv('aes-256-gcm', encKey, sealed.subarray(0, NONCE_BYTES));
      d.setAAD(Buffer.concat([header, position(index, last)]));
      d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return Buffer.concat([d.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), d.final()]);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The ciphertext of plaintext `data` at `offset` of a file: the header first when it
 * starts the file, then its segments. `offset` must start a segment, and only the file's
 * last piece may end inside one.
 */
export function sealPiece(cipher: FileCipher, offset: number, data: Buffer, last: boolean): Buffer {
  if (offset % SEGMENT_BYTES !== 0 || (!last && data.length % SEGMENT_BYTES !== 0)) {
    throw errors.internal(`An encrypted piece must cover whole ${SEGMENT_BYTES}-byte segments (offset ${offset}, ${data.length} bytes).`);
  }
  const out: Buffer[] = offset === 0 ? [cipher.header] : [];
  let index = offset / SEGMENT_BYTES;
  let at = 0;
  for (; data.length - at >= SEGMENT_BYTES; at += SEGMENT_BYTES) {
    out.push(cipher.seal(index++, data.subarray(at, at + SEGMENT_BYTES), false));
  }
  // The last segment is always short (possibly empty): its flag marks the true end.
  if (last) out.push(cipher.seal(index, data.subarray(at), true));
  return Buffer.concat(out);
}

/** Where the segment holding plaintext `offset` (a segment start) begins in the file; 0 for the first (the header's place). */
export function cipherOffset(offset: number): number {
  return offset === 0 ? 0 : HEADER_BYTES + (offset / SEGMENT_BYTES) * UNIT;
}

export function cipherSize(plain: number): number {
  return HEADER_BYTES + Math.floor(plain / SEGMENT_BYTES) * UNIT + (plain % SEGMENT_BYTES) + SEGMENT_OVERHEAD;
}

/** The plaintext size of a file of `size` bytes in this format; undefined when no such file has that size. */
export function plainSize(size: number): number | undefined {
  const body = size - HEADER_BYTES;
  if (body < SEGMENT_OVERHEAD) return undefined;
  const rest = body % UNIT;
  if (rest < SEGMENT_OVERHEAD) return undefined;
  return Math.floor(body / UNIT) * SEGMENT_BYTES + rest - SEGMENT_OVERHEAD;
}

/** Seals a small whole buffer (the sink's carry files) as one file of this format with its own salt. */
export function sealWhole(dek: Buffer, data: Buffer): Buffer {
  return sealPiece(fileCipher(dek, newSalt()), 0, data, true);
}

/** Opens what sealWhole sealed; undefined when it does not authenticate. */
export function openWhole(dek: Buffer, file: Buffer): Buffer | undefined {
  const cipher = cipherOf(dek, file.subarray(0, HEADER_BYTES));
  if (!cipher) return undefined;
  const out: Buffer[] = [];
  let index = 0;
  let at = HEADER_BYTES;
  for (; file.length - at > UNIT; at += UNIT) {
    const plain = cipher.open(index++, file.subarray(at, at + UNIT), false);
    if (!plain) return undefined;
    out.push(plain);
  }
  const last = cipher.open(index, file.subarray(at), true);
  return last && Buffer.concat([...out, last]);
}

/** The cipher a header names, or undefined when it is not this format's header. */
function cipherOf(dek: Buffer, header: Buffer): FileCipher | undefined {
  if (header.length !== HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (header.readUInt8(MAGIC.length) !== VERSION || header.readUInt32BE(MAGIC.length + 1) !== SEGMENT_BYTES) return undefined;
  return fileCipher(dek, header.subarray(MAGIC.length + 5).toString('hex'));
}

/**
 * `store` as its plaintext: listed sizes are plaintext sizes and reads decrypt (from any
 * plaintext offset: the read starts at the segment holding it). Ferry's bookkeeping and
 * files `isPlain` names pass through untouched. Anything that does not authenticate fails
 * the read with one message naming the file and `input`.
 */
export function decryptingStore(store: FileStore, dek: Buffer, input: string, isPlain: (path: string) => boolean): FileStore {
  const refused = (path: string) =>
    errors.extractFailed(`cannot decrypt ${store.describe(path)}: wrong ${input} or the file is not Ferry ${ALGORITHM} / was altered`);
  const plain = (f: FileInfo): FileInfo => {
    if (isPlain(f.path)) return f;
    const size = plainSize(f.size);
    if (size !== undefined) return { ...f, size };
    // Listings hold files the job never reads (a marker file, files a filter leaves out): a
    // size no file of this format has is refused only once asked for, i.e. for a file selected.
    return Object.defineProperty({ ...f }, 'size', {
      enumerable: true,
      get: () => {
        throw refused(f.path);
      },
    });
  };

  async function* decrypt(path: string, start: number): AsyncGenerator<Buffer> {
    const first = Math.floor(start / SEGMENT_BYTES);
    const raw = await store.read(path, first === 0 ? 0 : HEADER_BYTES + first * UNIT);
    try {
      let held: Buffer[] = [];
      let heldBytes = 0;
      let cipher: FileCipher | undefined;
      if (first > 0) {
        cipher = cipherOf(dek, await readHeader(path));
        if (!cipher) throw refused(path);
      }
      let index = first;
      let skip = start - first * SEGMENT_BYTES;
      const emit = (sealed: Buffer, last: boolean): Buffer => {
        const out = cipher?.open(index++, sealed, last);
        if (!out) throw refused(path);
        const piece = out.subarray(Math.min(skip, out.length));
        skip = 0;
        return piece;
      };
      for await (const chunk of raw as AsyncIterable<Buffer>) {
        held.push(chunk);
        heldBytes += chunk.length;
        if (!cipher && heldBytes >= HEADER_BYTES) {
          const all = Buffer.concat(held);
          cipher = cipherOf(dek, all.subarray(0, HEADER_BYTES));
          if (!cipher) throw refused(path);
          held = [all.subarray(HEADER_BYTES)];
          heldBytes = all.length - HEADER_BYTES;
        }
        // A segment is known not to be the last once more bytes follow it.
        if (cipher && heldBytes > UNIT) {
          let all = Buffer.concat(held);
          while (all.length > UNIT) {
            yield emit(all.subarray(0, UNIT), false);
            all = all.subarray(UNIT);
          }
          held = [all];
          heldBytes = all.length;
        }
      }
      if (!cipher) throw refused(path);
      yield emit(Buffer.concat(held), true);
    } finally {
      raw.destroy();
    }
  }

  async function readHeader(path: string): Promise<Buffer> {
    const raw = await store.read(path, 0);
    const held: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of raw as AsyncIterable<Buffer>) {
        held.push(chunk);
        n += chunk.length;
        if (n >= HEADER_BYTES) break;
      }
    } finally {
      raw.destroy();
    }
    return Buffer.concat(held).subarray(0, HEADER_BYTES);
  }

  return {
    label: store.label,
    describe: (p) => store.describe(p),
    minPartBytes: store.minPartBytes,
    maxParts: store.maxParts,
    statsAsListed: store.statsAsListed,
    check: () => store.check(),
    async *list(path, directory) {
      for await (const f of store.list(path, directory)) yield plain(f);
    },
    async stat(path) {
      const f = await store.stat(path);
      return f && plain(f);
    },
    async read(path, start) {
      if (isPlain(path)) return store.read(path, start);
      return Readable.from(decrypt(path, start), { objectMode: false });
    },
    get: (p) => store.get(p),
    put: (p, d) => store.put(p, d),
    delete: (p) => store.delete(p),
    prepareDirectory: (d) => store.prepareDirectory(d),
    begin: (p, o) => store.begin(p, o),
    writePart: (f, i, o, d) => store.writePart(f, i, o, d),
    commit: (f) => store.commit(f),
    abort: (f) => store.abort(f),
    ...(store.reportedMd5 ? { reportedMd5: (p: string) => store.reportedMd5!(p) } : {}),
    ...(store.partMd5s ? { partMd5s: (f: StagedFile) => store.partMd5s!(f) } : {}),
    close: () => store.close(),
  };
}
