// SQLite declared types <-> logical types, and cell conversion in both directions.
//
// SQLite stores by affinity, not by declared type; the declared name still tells what
// the column means (DATETIME, DECIMAL, BOOLEAN …), so the mapping reads the name.
import type { Column, LogicalType, Value } from '../../../engine/types';

export function logicalType(declared: string): LogicalType {
  const t = declared.toUpperCase();
  if (t === '') return 'string';
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('INT')) return 'integer';
  if (/DEC|NUMERIC/.test(t)) return 'decimal';
  if (/REAL|FLOA|DOUB/.test(t)) return 'float';
  if (t.includes('TIMESTAMPTZ') || t.includes('WITH TIME ZONE')) return 'timestamptz';
  if (/DATETIME|TIMESTAMP/.test(t)) return 'timestamp';
  if (t === 'DATE') return 'date';
  if (t === 'TIME') return 'time';
  if (t.includes('JSON')) return 'json';
  if (/BLOB|BINARY|BYTEA/.test(t)) return 'bytes';
  return 'string';
}

/**
 * The declared type for a column created from another engine's schema. Decimals and
 * temporal values are TEXT: SQLite's NUMERIC affinity would turn `0.10` into a float,
 * and text keeps fractional seconds and dates before 1970 exactly.
 */
export function declaredType(col: Column, sameEngine: boolean): string {
  if (sameEngine && col.nativeType) return col.nativeType;
  switch (col.type) {
    case 'integer':
    case 'boolean':
      return col.type === 'boolean' ? 'BOOLEAN' : 'INTEGER';
    case 'float':
      return 'REAL';
    case 'bytes':
      return 'BLOB';
    case 'decimal':
    case 'string':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'json':
      return 'TEXT';
  }
}

/**
 * A value read with safeIntegers(true) → the engine's representation for its logical type.
 * A column with no declared type (`CREATE TABLE … AS SELECT` makes them) holds whatever
 * storage class each value has, so its values pass as they are: bytes stay bytes.
 */
export function fromSqlite(type: LogicalType, v: unknown, untyped = false): Value {
  if (v === null || v === undefined) return null;
  if (untyped && (v instanceof Uint8Array || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string')) return v as Value;
  switch (type) {
    case 'integer':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      return String(v); // a non-integer stored in an INTEGER column stays as text rather than be rounded
    case 'float':
      return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v);
    case 'boolean':
      if (typeof v === 'bigint') return v !== 0n;
      if (typeof v === 'number') return v !== 0;
      return String(v).toLowerCase() === 'true' || String(v) === '1';
    case 'bytes':
      return v instanceof Uint8Array ? v : Buffer.from(String(v), 'utf8');
    default:
      return v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v);
  }
}

/** The engine's representation → a value better-sqlite3 binds. */
export function toSqlite(v: Value): null | bigint | number | string | Buffer {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v);
  return v;
}

/** Quotes an identifier: a table called `order` or a schema called `default` must work. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
