// MD5 (RFC 1321) whose running state is plain JSON. node:crypto cannot save a hash half
// way, but a file sink writes a file over many invocations and must resume its MD5 from
// the checkpoint, so this one keeps its four words, unhashed tail and length as data.
import { createHash } from 'node:crypto';

export interface Md5State {
  /** The four state words. */
  readonly h: readonly [number, number, number, number];
  /** Bytes not yet hashed (fewer than 64), base64. */
  readonly tail: string;
  /** Bytes hashed so far, tail included. */
  readonly length: number;
}

const SHIFT = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_v, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

export const md5Start = (): Md5State => ({ h: [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476], tail: '', length: 0 });

function blocks(h: [number, number, number, number], data: Buffer, end: number): void {
  const m = new Int32Array(16);
  for (let at = 0; at < end; at += 64) {
    for (let j = 0; j < 16; j++) m[j] = data.readInt32LE(at + j * 4);
    let [a, b, c, d] = h;
    for (let i = 0; i < 64; i++) {
      const round = i >> 4;
      let f: number;
      let g: number;
      if (round === 0) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (round === 1) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (round === 2) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const s = SHIFT[(round << 2) | (i & 3)]!;
      const x = (f + a + K[i]! + m[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
  }
}

export function md5Update(state: Md5State, chunk: Buffer): Md5State {
  const data = Buffer.concat([Buffer.from(state.tail, 'base64'), chunk]);
  const h = [...state.h] as [number, number, number, number];
  const whole = data.length - (data.length % 64);
  blocks(h, data, whole);
  return { h, tail: data.subarray(whole).toString('base64'), length: state.length + chunk.length };
}

export function md5Digest(state: Md5State): string {
  const tail = Buffer.from(state.tail, 'base64');
  const padded = Buffer.alloc(tail.length + 1 + 8 <= 64 ? 64 : 128);
  tail.copy(padded);
  padded[tail.length] = 0x80;
  const bits = BigInt(state.length) * 8n;
  padded.writeBigUInt64LE(bits & 0xffffffffffffffffn, padded.length - 8);
  const h = [...state.h] as [number, number, number, number];
  blocks(h, padded, padded.length);
  const out = Buffer.alloc(16);
  h.forEach((w, i) => out.writeInt32LE(w, i * 4));
  return out.toString('hex');
}

export const md5Hex = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** S3's ETag of a multipart object: the MD5 of its parts' MD5s, then `-` and the number of parts. */
export function multipartEtag(partMd5s: readonly string[]): string {
  return `${md5Hex(Buffer.concat(partMd5s.map((p) => Buffer.from(p, 'hex'))))}-${partMd5s.length}`;
}
