// Key values in checkpoints: positions are stored as JSON (in DynamoDB and in the
// destination's checkpoint row), and JSON has no bigint or bytes, so key values are
// tagged on the way in and restored exactly on the way out.
import type { Value } from './types';

type Encoded = string | number | boolean | null | { $int: string } | { $bytes: string };

export function encodeKey(values: readonly Value[]): Encoded[] {
  return values.map((v) => {
    if (typeof v === 'bigint') return { $int: v.toString() };
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
    return v;
  });
}

export function decodeKey(encoded: readonly unknown[]): Value[] {
  return encoded.map((e) => {
    if (e !== null && typeof e === 'object') {
      if ('$int' in e) return BigInt((e as { $int: string }).$int);
      if ('$bytes' in e) return Buffer.from((e as { $bytes: string }).$bytes, 'base64');
    }
    return e as Value;
  });
}

/** Rough byte size of a row, for BYTES_READ and MB/s (not a storage size). */
export function approxRowBytes(row: readonly Value[]): number {
  let n = 0;
  for (const v of row) {
    if (v === null) n += 1;
    else if (typeof v === 'string') n += Buffer.byteLength(v);
    else if (v instanceof Uint8Array) n += v.byteLength;
    else n += 8;
  }
  return n;
}
