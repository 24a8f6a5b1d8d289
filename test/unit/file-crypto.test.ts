// Ferry's AES-256-GCM file format, read back through a real directory store: what
// decrypts, from which offsets, and what every kind of damage looks like to a user.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cipherOffset,
  cipherSize,
  decryptingStore,
  fileCipher,
  HEADER_BYTES,
  newSalt,
  parseDek,
  plainSize,
  sealPiece,
  SEGMENT_BYTES,
  SEGMENT_OVERHEAD,
} from '../../lib/connectors/files/file-crypto';
import { nasStore } from '../../lib/connectors/nas/nas-store';
import { bytes, md5 } from '../integration/files/file-harness';

const KEY = parseDek('11'.repeat(32), 'fromJobConfig.dek');
const OTHER = parseDek('22'.repeat(32), 'fromJobConfig.dek');
const S = SEGMENT_BYTES;
const UNIT = S + SEGMENT_OVERHEAD;

function encrypted(plain: Buffer, salt = newSalt()): Buffer {
  return sealPiece(fileCipher(KEY, salt), 0, plain, true);
}

async function readAll(file: Buffer, key = KEY, start = 0): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-crypt-'));
  writeFileSync(join(dir, 'f'), file);
  const store = decryptingStore(nasStore(dir), key, 'fromJobConfig.dek', () => false);
  const out: Buffer[] = [];
  for await (const c of await store.read('f', start)) out.push(c as Buffer);
  return Buffer.concat(out);
}

const REFUSED = /^cannot decrypt \S+\/f: wrong fromJobConfig\.dek or the file is not Ferry AES-256-GCM \/ was altered$/;

describe('the encrypted file format', () => {
  it.each([0, 1, S - 1, S, S + 1, 3 * S, 3 * S + 7])('%d plaintext bytes decrypt back exactly, and the size maps both ways', async (n) => {
    const plain = bytes(n, n + 1);
    const file = encrypted(plain);
    expect(file.length).toBe(cipherSize(n));
    expect(plainSize(file.length)).toBe(n);
    expect(md5(await readAll(file))).toBe(md5(plain));
  });

  it('a read from any plaintext offset starts at its segment and yields the rest exactly', async () => {
    const plain = bytes(4 * S + 100, 9);
    const file = encrypted(plain);
    for (const start of [1, S, S + 5, 2 * S, 4 * S + 99]) expect(md5(await readAll(file, KEY, start))).toBe(md5(plain.subarray(start)));
  });

  it('pieces sealed separately at segment offsets join into the whole file, byte for byte', () => {
    const plain = bytes(5 * S + 3, 4);
    const salt = newSalt();
    const cipher = fileCipher(KEY, salt);
    const joined = Buffer.concat([sealPiece(cipher, 0, plain.subarray(0, 2 * S), false), sealPiece(cipher, 2 * S, plain.subarray(2 * S), true)]);
    expect(md5(joined)).toBe(md5(encrypted(plain, salt)));
    expect(cipherOffset(2 * S)).toBe(HEADER_BYTES + 2 * UNIT);
  });

  it('the same plaintext under two salts shares no ciphertext, and neither contains the plaintext', () => {
    const plain = Buffer.alloc(2 * S, 'secret ');
    const [a, b] = [encrypted(plain), encrypted(plain)];
    expect(md5(a.subarray(HEADER_BYTES))).not.toBe(md5(b.subarray(HEADER_BYTES)));
    expect(a.includes(Buffer.from('secret secret'))).toBe(false);
  });

  it.each([
    ['a wrong key', (f: Buffer) => f, OTHER],
    ['a flipped byte in a middle segment', (f: Buffer) => flip(f, HEADER_BYTES + UNIT + 40), KEY],
    ['a flipped byte in the header', (f: Buffer) => flip(f, 20), KEY],
    ['truncation at a segment boundary', (f: Buffer) => f.subarray(0, HEADER_BYTES + 2 * UNIT), KEY],
    ['truncation inside a segment', (f: Buffer) => f.subarray(0, f.length - 5), KEY],
    ['two segments swapped', (f: Buffer) => swap(f, HEADER_BYTES, HEADER_BYTES + UNIT, UNIT), KEY],
    ['a plain file', () => Buffer.from('id,name\n1,a\n'), KEY],
  ])('%s fails with one clear error naming the file and the input', async (_what, damage, key) => {
    const file = damage(encrypted(bytes(3 * S + 10, 5)));
    await expect(readAll(file, key)).rejects.toThrow(REFUSED);
  });

  it('a read from a later segment fails the same way when the header was altered', async () => {
    await expect(readAll(flip(encrypted(bytes(3 * S, 6)), 30), KEY, 2 * S)).rejects.toThrow(REFUSED);
  });

  it('a dek that is not 64 hex characters is refused without echoing it', () => {
    expect(() => parseDek('abc123', 'toJobConfig.dek')).toThrow('toJobConfig.dek must be 64 hexadecimal characters (a 256-bit AES key).');
    expect(() => parseDek('zz'.repeat(32), 'toJobConfig.dek')).toThrow(expect.objectContaining({ code: 'Cdm.0014' }));
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 1;
  return c;
}

function swap(b: Buffer, i: number, j: number, n: number): Buffer {
  const c = Buffer.from(b);
  b.copy(c, i, j, j + n);
  b.copy(c, j, i, i + n);
  return c;
}

