// PostgreSQL native types <-> logical types, and cell conversion in both directions.
//
// Every connection reads every value as the server's own text (no pg type parser runs,
// so nothing goes through a JS Date or a double), in a session pinned to ISO dates, UTC
// and hex bytea (see `connectPostgres`). The text is then turned into the engine's value
// here. Writes go through COPY's text format (`copyField`), which the server parses with
// the destination column's own input function.
//
// Decisions (README "Type mapping"):
// * BC dates and ±infinity have no 'YYYY-MM-DD' form: they travel as PostgreSQL's text
//   (`0044-03-15 BC`, `infinity`), so a PostgreSQL destination keeps them exactly and
//   any other destination rejects the row instead of storing a different date.
// * Arrays, intervals, ranges, enums, network and geometric types travel as their text
//   (`{1,2,NULL}`): exact for every element type, which JSON is not (bytea, timestamps).
// * timestamptz is read in UTC and travels as ISO 8601 with `+00:00`.
// Column conventions shared with the MySQL dialect: integer `precision` is the signed bit
// width, float `precision` the mantissa bits, temporal `scale` the fractional digits.
import type { Column, LogicalType, Value } from '../../../engine/types';

/** A column as the catalog describes it (all catalog values arrive as text). */
export interface PgColumnInfo {
  readonly name: string;
  /** format_type(): `numeric(38,10)`, `timestamp(6) without time zone`, `integer[]`. */
  readonly formatted: string;
  /** pg_type.typname of the type, or of a domain's base type: `int8`, `varchar`, `_int4`. */
  readonly base: string;
  /** The type modifier (-1 when none); for a domain, the domain's own. */
  readonly typmod: number;
  /** Whether the type lives in pg_catalog, so that another database has it too. */
  readonly builtin: boolean;
  readonly nullable: boolean;
}

const INT_BITS: Record<string, number> = { int2: 16, int4: 32, int8: 64 };
const VARHDRSZ = 4;

export function pgColumn(c: PgColumnInfo): Column {
  const base = { name: c.name, nullable: c.nullable, nativeType: c.builtin ? c.formatted : undefined };
  const mod = c.typmod;
  switch (c.base) {
    case 'int2':
    case 'int4':
    case 'int8':
      return { ...base, type: 'integer', precision: INT_BITS[c.base] };
    case 'numeric':
      if (mod < VARHDRSZ) return { ...base, type: 'decimal' };
      // typmod packs precision in the high 16 bits and a signed 11-bit scale in the low ones.
      return {
        ...base,
        type: 'decimal',
        precision: ((mod - VARHDRSZ) >> 16) & 0xffff,
        scale: (((mod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024,
      };
    case 'float4':
      return { ...base, type: 'float', precision: 24 };
    case 'float8':
      return { ...base, type: 'float', precision: 53 };
    case 'bool':
      return { ...base, type: 'boolean' };
    case 'bytea':
      return { ...base, type: 'bytes' };
    case 'date':
      return { ...base, type: 'date' };
    case 'time':
      return { ...base, type: 'time', scale: mod < 0 ? 6 : mod };
    case 'timestamp':
      return { ...base, type: 'timestamp', scale: mod < 0 ? 6 : mod };
    case 'timestamptz':
      return { ...base, type: 'timestamptz', scale: mod < 0 ? 6 : mod };
    case 'json':
    case 'jsonb':
      return { ...base, type: 'json' };
    case 'varchar':
    case 'bpchar':
      return { ...base, type: 'string', length: mod >= VARHDRSZ ? mod - VARHDRSZ : undefined };
    case 'uuid':
      return { ...base, type: 'string', length: 36 };
    default:
      return { ...base, type: 'string' };
  }
}

/** A cell as the server's text (or NULL) → the engine's value for its logical type. */
export function fromPg(type: LogicalType, text: string | null): Value {
  if (text === null) return null;
  switch (type) {
    case 'integer':
      return BigInt(text);
    case 'float':
      return Number(text); // also 'NaN', 'Infinity', '-Infinity'
    case 'boolean':
      return text === 't';
    case 'bytes':
      return Buffer.from(text.slice(2), 'hex'); // bytea_output = hex: '\x0001ff'
    case 'timestamptz':
      return isoUtc(text);
    default:
      return text;
  }
}

/** '2024-01-01 02:00:00.5+00' (a UTC session's output) → '2024-01-01T02:00:00.5+00:00'; BC and infinity stay as they are. */
function isoUtc(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::(\d\d))?(?::(\d\d))?$/.exec(text);
  if (!m) return text;
  const [, date, time, hours, minutes = '00', seconds] = m;
  return `${date}T${time}${hours}:${minutes}${seconds ? `:${seconds}` : ''}`;
}

/**
 * A value as one field of COPY's text format: NULL is `\N`; backslash, newline, carriage
 * return and tab (the delimiter) are backslash-escaped; bytea is `\x` hex with its
 * backslash escaped in turn. Floats keep their sign of zero (`String(-0)` is `0`).
 */
export function copyField(v: Value): string {
  if (v === null) return '\\N';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Uint8Array) return `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  // Most values hold nothing to escape: testing first spares building a copy of each.
  return COPY_SPECIAL.test(v) ? v.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]!) : v;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Quotes an identifier: a schema called `default` or a table called `order` must work. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The PostgreSQL type for a destination column created from a source schema. Same
 * engine: the source's own declaration (built-in types only). Otherwise: integer →
 * smallint/integer/bigint by bit width (numeric(20) beyond 64 bits), decimal →
 * numeric(p,s) (from the declared name when the source gives no precision; numeric
 * when unbounded), float → real/double precision, boolean →
 * boolean, string → varchar(n) when the source has a length, else text, bytes → bytea,
 * date → date, time → time(s), timestamp → timestamp(s), timestamptz → timestamptz(s),
 * json → json (keeps the JSON text exactly, which jsonb would normalise).
 */
export function declaredType(col: Column, opts: { sameEngine: boolean; extendCharLength: boolean }): string {
  if (opts.sameEngine && col.nativeType) return col.nativeType;
  const fsp = Math.min(col.scale ?? 6, 6);
  switch (col.type) {
    case 'integer': {
      const bits = col.precision ?? 64;
      if (bits <= 16) return 'smallint';
      if (bits <= 32) return 'integer';
      return bits <= 64 ? 'bigint' : 'numeric(20,0)';
    }
    case 'decimal': {
      // SQLite reports no precision, but its declared name (`DECIMAL(12,2)`) still says it.
      const declared = /\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)/.exec(col.nativeType ?? '');
      const precision = col.precision ?? (declared ? Number(declared[1]) : undefined);
      if (precision === undefined || precision < 1) return 'numeric';
      const scale = col.scale ?? Number(declared?.[2] ?? 0);
      return `numeric(${Math.min(Math.max(precision, scale), 1000)},${scale})`;
    }
    case 'float':
      return (col.precision ?? 53) <= 24 ? 'real' : 'double precision';
    case 'boolean':
      return 'boolean';
    case 'string':
      if (col.length === undefined) return 'text';
      return `varchar(${Math.min(Math.max(col.length, 1) * (opts.extendCharLength ? 3 : 1), 10_485_760)})`;
    case 'bytes':
      return 'bytea';
    case 'date':
      return 'date';
    case 'time':
      return `time(${fsp})`;
    case 'timestamp':
      return `timestamp(${fsp})`;
    case 'timestamptz':
      return `timestamptz(${fsp})`;
    case 'json':
      return 'json';
  }
}
