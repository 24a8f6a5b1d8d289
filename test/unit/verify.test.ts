// The verification checksum: equal for the same data however an engine spells it,
// independent of row order, and different for a lost, doubled or changed row.
import { describe, expect, it } from 'vitest';
import { Checksum, canonicalValue } from '../../lib/engine/verify';
import type { Value } from '../../lib/engine/types';

const sum = (rows: Value[][]) => {
  const c = new Checksum();
  c.add(rows);
  return c.result();
};

describe('verification checksum', () => {
  it('reads the same values equal across engines’ spellings', () => {
    expect(canonicalValue(12n)).toBe(canonicalValue(12));
    expect(canonicalValue('12.500')).toBe(canonicalValue(12.5));
    expect(canonicalValue('-0.000')).toBe('0');
    expect(canonicalValue(true)).toBe(canonicalValue(1n));
    expect(canonicalValue('2024-01-01 00:00:00.123000')).toBe('2024-01-01 00:00:00.123');
    expect(canonicalValue('2024-01-01 00:00:00.000000')).toBe('2024-01-01 00:00:00');
    expect(canonicalValue('{"b": 1, "a": [1, {"d": 2, "c": 3}]}')).toBe(canonicalValue('{"a":[1,{"c":3,"d":2}],"b":1}'));
    expect(canonicalValue(Buffer.from([0, 255, 0]))).toBe('0x00ff00');
    expect(canonicalValue(new Uint8Array([0, 255, 0]))).toBe('0x00ff00');
  });

  it('keeps apart what differs: NULL and empty, leading zeros in text, bytes and text', () => {
    expect(canonicalValue(null)).not.toBe(canonicalValue(''));
    expect(canonicalValue('007')).not.toBe(canonicalValue(7n));
    expect(canonicalValue(Buffer.from('ab'))).not.toBe(canonicalValue('ab'));
    expect(canonicalValue('{not json')).toBe('{not json');
  });

  it('ignores row order but sees a lost, doubled or changed row', () => {
    const rows: Value[][] = [
      [1n, 'a', null],
      [2n, 'b', '1.50'],
      [3n, 'c', Buffer.from([0])],
    ];
    const base = sum(rows);
    expect(base.rows).toBe(3);
    expect(sum([...rows].reverse())).toEqual(base);
    expect(sum(rows.slice(1)).checksum).not.toBe(base.checksum);
    expect(sum([...rows, rows[0]!])).not.toEqual(base);
    expect(sum([rows[0]!, rows[1]!, [3n, 'c', Buffer.from([1])]]).checksum).not.toBe(base.checksum);
    // A doubled row is not hidden by XOR-style cancellation: two doubles still differ from none.
    expect(sum([...rows, rows[0]!, rows[0]!]).checksum).not.toBe(base.checksum);
  });
});
