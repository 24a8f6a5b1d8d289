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

  it('reads an instant by its UTC wall time, however its offset is spelled', () => {
    // PostgreSQL timestamptz text, MySQL TIMESTAMP as read, and the DATETIME holding UTC it is copied into.
    expect(canonicalValue('2024-03-09 18:30:00.5+00')).toBe('2024-03-09 18:30:00.5');
    expect(canonicalValue('2024-03-10T02:30:00.500000+08:00')).toBe('2024-03-09 18:30:00.5');
    expect(canonicalValue('1969-12-31 23:59:59-05')).toBe(canonicalValue('1970-01-01 04:59:59.000000'));
    expect(canonicalValue('2024-03-10 02:30:00+08')).not.toBe(canonicalValue('2024-03-10 02:30:00'));
  });

  it('reads a single-precision float as the float it holds', () => {
    const real = { name: 'f', type: 'float', precision: 24, nullable: true } as const;
    // PostgreSQL prints real 0.1 as 0.1; MariaDB's exact read of FLOAT 0.1 is 0.10000000149011612.
    expect(canonicalValue('0.1', real)).toBe(canonicalValue('0.10000000149011612', real));
    expect(canonicalValue(1048576, real)).toBe('1048576');
    // Without the column's type the two are different numbers, as they are for a double.
    expect(canonicalValue('0.1')).not.toBe(canonicalValue('0.10000000149011612'));
    expect(canonicalValue('1.0000001', real)).not.toBe(canonicalValue('1', real));
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
