// MySQL/MariaDB native types <-> logical types, and cell conversion in both directions.
//
// Reads use the text protocol with `dateStrings`, `bigNumberStrings` and `jsonStrings`,
// so temporal values, DECIMAL and BIGINT arrive as the server's own text and nothing is
// shifted or rounded on the way. Writes are SQL literals built here (see `mysqlLiteral`).
//
// Conventions shared with the PostgreSQL dialect, for columns this dialect reports:
// * integer `precision` is the signed bit width that holds every value (TINYINT 8,
//   SMALLINT and TINYINT UNSIGNED 16, …, BIGINT 64, BIGINT UNSIGNED 65), so a sink can
//   pick a type that fits (PostgreSQL NUMERIC(20) for BIGINT UNSIGNED);
// * float `precision` is the mantissa in bits (FLOAT 24, DOUBLE 53);
// * temporal `scale` is the fractional-second digits.
import type { FieldPacket } from 'mysql2';
import type { Column, LogicalType, Value } from '../../../engine/types';
import { utcWallTime } from '../../../model/calendar';

/** One row of information_schema.COLUMNS, as the source reads it. */
export interface MysqlColumnInfo {
  readonly name: string;
  /** DATA_TYPE, lower case (`bigint`, `varchar`, …). */
  readonly dataType: string;
  /** COLUMN_TYPE, the full declaration (`bigint(20) unsigned`, `enum('a','b')`). */
  readonly columnType: string;
  readonly nullable: boolean;
  readonly charLength: number | null;
  readonly precision: number | null;
  readonly scale: number | null;
  readonly fsp: number | null;
  /** MariaDB stores JSON as LONGTEXT with a json_valid() check; the source detects it. */
  readonly json: boolean;
  /** CHARACTER_SET_NAME (`utf8mb4`, `latin1`, …); null for columns that are not text. */
  readonly charset?: string | null;
}

/** Signed bit width that holds every value: [signed, unsigned]. */
const INT_BITS: Record<string, readonly [number, number]> = {
  tinyint: [8, 16],
  smallint: [16, 32],
  mediumint: [32, 32],
  int: [32, 64],
  integer: [32, 64],
  bigint: [64, 65],
};
const SPATIAL = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|geomcollection)$/;

/**
 * TINYINT(1) and BIT(1) read as boolean: that is how MySQL spells BOOLEAN, and what
 * a PostgreSQL destination expects (pgloader reads them so too). A TINYINT(1) may still
 * hold any of -128..127: a value other than 0 and 1 fails the read (see fromMysql) rather
 * than arrive as `true`.
 */
export function mysqlColumn(c: MysqlColumnInfo): Column {
  const t = c.dataType.toLowerCase();
  const unsigned = /\bunsigned\b/i.test(c.columnType);
  const base = { name: c.name, nullable: c.nullable, nativeType: c.json ? 'json' : c.columnType };
  if (c.json || t === 'json') return { ...base, type: 'json' };
  if (t === 'tinyint' && /^tinyint\(1\)/i.test(c.columnType) && !unsigned) return { ...base, type: 'boolean' };
  if (t in INT_BITS) return { ...base, type: 'integer', precision: INT_BITS[t]![unsigned ? 1 : 0] };
  if (t === 'year') return { ...base, type: 'integer', precision: 16 };
  if (t === 'decimal' || t === 'numeric') {
    return { ...base, type: 'decimal', precision: c.precision ?? undefined, scale: c.scale ?? undefined };
  }
  if (t === 'float' || t === 'real' || t === 'double') return { ...base, type: 'float', precision: t === 'float' ? 24 : 53 };
  if (t === 'bit') return c.precision === 1 ? { ...base, type: 'boolean' } : { ...base, type: 'bytes' };
  if (t === 'date') return { ...base, type: 'date' };
  if (t === 'time') return { ...base, type: 'time', scale: c.fsp ?? 0 };
  if (t === 'datetime') return { ...base, type: 'timestamp', scale: c.fsp ?? 0 };
  // TIMESTAMP is an instant (stored in UTC); sessions run with time_zone '+00:00'.
  if (t === 'timestamp') return { ...base, type: 'timestamptz', scale: c.fsp ?? 0 };
  if (/binary|blob/.test(t) || SPATIAL.test(t)) {
    return { ...base, type: 'bytes', length: /binary/.test(t) ? (c.charLength ?? undefined) : undefined };
  }
  const sized = t === 'char' || t === 'varchar' || t === 'enum' || t === 'set';
  return { ...base, type: 'string', length: sized ? (c.charLength ?? undefined) : undefined };
}

// mysql2's column type codes (protocol constants).
const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, NEWDATE: 14, BIT: 16, JSON: 245, NEWDECIMAL: 246, GEOMETRY: 255,
} as const;
const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;
const NOT_NULL_FLAG = 1;

/** A result-set column of a custom query (`useSql`), typed from the protocol metadata. */
export function fieldColumn(f: FieldPacket): Column {
  const flags = typeof f.flags === 'number' ? f.flags : 0;
  const unsigned = (flags & UNSIGNED_FLAG) !== 0;
  const nullable = (flags & NOT_NULL_FLAG) === 0;
  const len = f.columnLength ?? 0;
  const base = { name: f.name, nullable };
  if (f.extendedFormat === 'json') return { ...base, type: 'json' };
  switch (f.columnType) {
    case T.TINY:
      return len === 1 && !unsigned ? { ...base, type: 'boolean' } : { ...base, type: 'integer', precision: unsigned ? 16 : 8 };
    case T.SHORT:
      return { ...base, type: 'integer', precision: unsigned ? 32 : 16 };
    case T.INT24:
      return { ...base, type: 'integer', precision: 32 };
    case T.LONG:
      return { ...base, type: 'integer', precision: unsigned ? 64 : 32 };
    case T.LONGLONG:
      return { ...base, type: 'integer', precision: unsigned ? 65 : 64 };
    case T.YEAR:
      return { ...base, type: 'integer', precision: 16 };
    case T.DECIMAL:
    case T.NEWDECIMAL: {
      // columnLength counts the sign and the decimal point.
      const scale = f.decimals;
      return { ...base, type: 'decimal', precision: len - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1), scale };
    }
    case T.FLOAT:
      return { ...base, type: 'float', precision: 24 };
    case T.DOUBLE:
      return { ...base, type: 'float', precision: 53 };
    case T.DATE:
    case T.NEWDATE:
      return { ...base, type: 'date' };
    case T.TIME:
      return { ...base, type: 'time', scale: f.decimals };
    case T.DATETIME:
      return { ...base, type: 'timestamp', scale: f.decimals };
    case T.TIMESTAMP:
      return { ...base, type: 'timestamptz', scale: f.decimals };
    case T.JSON:
      return { ...base, type: 'json' };
    case T.BIT:
      return len === 1 ? { ...base, type: 'boolean' } : { ...base, type: 'bytes' };
    case T.GEOMETRY:
      return { ...base, type: 'bytes', nativeType: 'geometry' };
    default:
      return f.characterSet === BINARY_CHARSET ? { ...base, type: 'bytes' } : { ...base, type: 'string' };
  }
}

/** Whether reading `columns` needs `rawGeometry`: only then, as a typeCast function slows every field of every row. */
export function hasSpatial(columns: readonly Column[]): boolean {
  return columns.some((c) => c.type === 'bytes' && SPATIAL.test(/^\w+/.exec(c.nativeType ?? '')?.[0]?.toLowerCase() ?? ''));
}

/** mysql2 typeCast: spatial values as their raw bytes (SRID + WKB), not parsed points. */
export function rawGeometry(field: { type: string; buffer(): Buffer | null }, next: () => unknown): unknown {
  return field.type === 'GEOMETRY' ? field.buffer() : next();
}

/** A TINYINT(1) value that is not 0 or 1: as a boolean it would become `true`, and be written back as 1. */
export class NotABooleanError extends RangeError {
  constructor(readonly value: string) {
    super(`${value} is not a boolean (0 or 1)`);
  }
}

/**
 * A cell as mysql2 returns it (with the connection options above) → the engine's value.
 * Throws NotABooleanError for a boolean column holding a number other than 0 and 1.
 */
export function fromMysql(type: LogicalType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'integer':
      return BigInt(v as string | number);
    case 'boolean': {
      // BIT(1) arrives as one byte, 0 or 1: nothing else fits in it.
      if (Buffer.isBuffer(v)) return v.some((b) => b !== 0);
      const n = Number(v);
      if (n === 0 || n === 1) return n === 1;
      throw new NotABooleanError(String(v));
    }
    case 'float':
      return Number(v);
    case 'bytes':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
    case 'timestamptz':
      return isoUtc(String(v));
    default:
      return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
}

/** '2024-01-01 10:00:00.5' read in a UTC session → '2024-01-01T10:00:00.5+00:00'. */
function isoUtc(s: string): string {
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(s) ? `${s.replace(' ', 'T')}+00:00` : s;
}

/** A float as MySQL reads it back exactly (JavaScript's shortest round-trip text); NaN and ±Infinity have no MySQL value. */
export function floatText(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`MySQL cannot store the float ${v}`);
  return String(v);
}

/**
 * A value as a MySQL literal. Numbers are unquoted so that 64-bit integers are never
 * compared or stored through a double; strings are escaped for a session without
 * NO_BACKSLASH_ESCAPES (the connection makes sure of that); bytes are hex literals.
 */
export function mysqlLiteral(v: Value, type: LogicalType | undefined): string {
  if (v === null) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number') return floatText(v);
  if (v instanceof Uint8Array) return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
  if (type === 'decimal' && /^[+-]?\d+(\.\d+)?$/.test(v)) return v;
  return quoteString(type === 'timestamptz' ? utcWallTime(v) : v);
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '\\': '\\\\',
};

const SPECIAL = /[\0\b\t\n\r\x1a'\\]/;
const SPECIALS = /[\0\b\t\n\r\x1a'\\]/g;

export function quoteString(s: string): string {
  // Most values hold nothing to escape: testing first spares building a copy of each.
  return `'${SPECIAL.test(s) ? s.replace(SPECIALS, (c) => ESCAPES[c]!) : s}'`;
}

/** Quotes an identifier: a database called `default` or a table called `order` must work. */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * Longest value the server-side line formats (COPY, CSV) REPLACE in: MariaDB's REPLACE moves
 * the rest of the value at each match, so its cost grows with length × matches (16 KB of tabs
 * took 25 ms a row, 400 KB 15 s). At this bound the worst is a few milliseconds.
 */
export const REPLACE_MAX_BYTES = 8192;

/** `replaced` (an expression REPLACEing in `value`), or NULL when `value` is too long for it. */
export function bounded(value: string, replaced: string): string {
  return `IF(LENGTH(${value}) <= ${REPLACE_MAX_BYTES}, ${replaced}, NULL)`;
}

/**
 * The MySQL type for a destination column created from a source schema. Same engine:
 * the source's own declaration. Otherwise (see README "Type mapping"):
 * integer → TINYINT…BIGINT by bit width (DECIMAL(20) beyond 64 bits), decimal →
 * DECIMAL(p,s) (DECIMAL(65,30) when unbounded), float → FLOAT/DOUBLE, boolean →
 * BOOLEAN, string → VARCHAR(n) up to 255 characters (key columns: as long as the index allows), else
 * TEXT/LONGTEXT, bytes → VARBINARY(n) up to 255 bytes (key columns: as the index allows), else LONGBLOB, date → DATE,
 * time → TIME(fsp), timestamp → DATETIME(fsp), timestamptz → DATETIME(fsp) holding UTC
 * (TIMESTAMP stops in 2038), json → JSON.
 */
export interface DeclareOptions {
  sameEngine: boolean;
  /** For a primary-key column: its share of InnoDB's 3072-byte index key (TEXT and BLOB cannot be keys). */
  keyBytes?: number;
  extendCharLength: boolean;
}

export function declaredType(col: Column, opts: DeclareOptions): string {
  if (opts.sameEngine && col.nativeType) return col.nativeType;
  const fsp = Math.min(col.scale ?? 6, 6);
  switch (col.type) {
    case 'integer': {
      const bits = col.precision ?? 64;
      if (bits <= 8) return 'TINYINT';
      if (bits <= 16) return 'SMALLINT';
      if (bits <= 32) return 'INT';
      return bits <= 64 ? 'BIGINT' : 'DECIMAL(20,0)';
    }
    case 'decimal': {
      // SQLite reports no precision, but its declared name (`DECIMAL(12,2)`) still says it.
      const declared = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(col.nativeType ?? '');
      const precision = col.precision ?? (declared ? Number(declared[1]) : undefined);
      if (precision === undefined) return 'DECIMAL(65,30)';
      const scale = Math.min(col.scale ?? Number(declared?.[2] ?? 0), 30);
      return `DECIMAL(${Math.min(Math.max(precision, scale, 1), 65)},${scale})`;
    }
    case 'float':
      return (col.precision ?? 53) <= 24 ? 'FLOAT' : 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'string': {
      const n = col.length === undefined ? undefined : col.length * (opts.extendCharLength ? 3 : 1);
      // utf8mb4: up to 4 bytes a character.
      if (opts.keyBytes !== undefined) return `VARCHAR(${Math.min(n ?? Infinity, Math.floor(opts.keyBytes / 4))})`;
      if (n !== undefined && n <= 255) return `VARCHAR(${Math.max(n, 1)})`;
      return n !== undefined && n <= 16_383 ? 'TEXT' : 'LONGTEXT';
    }
    case 'bytes':
      if (opts.keyBytes !== undefined) return `VARBINARY(${Math.min(col.length ?? Infinity, opts.keyBytes)})`;
      return col.length !== undefined && col.length <= 255 ? `VARBINARY(${Math.max(col.length, 1)})` : 'LONGBLOB';
    case 'date':
      return 'DATE';
    case 'time':
      return `TIME(${fsp})`;
    case 'timestamp':
    case 'timestamptz':
      return `DATETIME(${fsp})`;
    case 'json':
      return 'JSON';
  }
}
