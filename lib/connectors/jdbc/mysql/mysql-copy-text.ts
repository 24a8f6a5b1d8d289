// MySQL/MariaDB → PostgreSQL without taking rows apart: the source server formats each row
// as one line of COPY text, which the PostgreSQL sink sends on as it is. Node then handles
// one string a row instead of every field (parsed, converted, encoded again), which was
// most of a copy's CPU. Each expression yields exactly what copyField (postgresql-types.ts)
// makes of the value the row-by-row read (fromMysql) would give, so the two paths write
// the same data; a column type not listed here keeps the copy on the row-by-row path.
import type { Column } from '../../../engine/types';
import { bounded, quoteIdent as q } from './mysql-types';

// SQL string literals for a session without NO_BACKSLASH_ESCAPES (see mysql-connection.ts).
const NULL_TEXT = "'\\\\N'"; // \N
const BYTEA_PREFIX = "'\\\\\\\\x'"; // \\x : bytea hex input, its backslash escaped for COPY

/**
 * COPY escapes a value's backslashes, line ends and tabs. Most values hold none: one
 * REGEXP scan costs MariaDB a tenth of the four REPLACEs, which copy the value each time.
 * A value too long for REPLACE (see bounded) that needs escaping is NULL here, which makes its
 * line NULL and its page read as values.
 */
function escaped(expr: string): string {
  const replaced = `REPLACE(REPLACE(REPLACE(REPLACE(${expr}, '\\\\', '\\\\\\\\'), '\\n', '\\\\n'), '\\r', '\\\\r'), '\\t', '\\\\t')`;
  return `IF(${expr} REGEXP '[\\\\\\\\\\t\\n\\r]', ${bounded(expr, replaced)}, ${expr})`;
}

/** One column as COPY text (NULL as \N), or undefined when this path does not cover its type. */
function fieldText(c: Column, ref: string): string | undefined {
  let text: string;
  switch (c.type) {
    case 'integer':
    case 'decimal':
    case 'date':
    case 'time':
    case 'timestamp':
      // The server's own text, as the row-by-row read takes it (numbers stay exact).
      text = ref;
      break;
    case 'float':
      // As the row-by-row read: FLOAT with every digit (as DOUBLE); DOUBLE as the server's shortest exact text.
      text = c.precision === 24 ? `CAST(${ref} AS DOUBLE)` : ref;
      break;
    case 'boolean':
      // A TINYINT(1) holding another number is no boolean: NULL makes its line NULL, and the page read as
      // values, where fromMysql fails the read naming it.
      text = `CASE WHEN ${ref} = 1 THEN 't' WHEN ${ref} = 0 THEN 'f' END`;
      break;
    case 'timestamptz':
      // TIMESTAMP reads in the session's UTC.
      text = `CONCAT(${ref}, '+00')`;
      break;
    case 'bytes': {
      // BIT(n) reads as its bytes, whole: HEX() of a BIT is its number, without leading zeros.
      const bit = /^bit\((\d+)\)/i.exec(c.nativeType ?? '');
      const hex = bit ? `LPAD(HEX(${ref}), ${2 * Math.ceil(Number(bit[1]) / 8)}, '0')` : `HEX(${ref})`;
      text = `CONCAT(${BYTEA_PREFIX}, ${hex})`;
      break;
    }
    case 'string':
    case 'json':
      text = escaped(ref);
      break;
    default:
      return undefined;
  }
  // Not IFNULL: a field NULL for any other reason (a line over max_allowed_packet, a value too long
  // to escape) must make the whole line NULL, and its page read as values, never a \N.
  return `IF(${ref} IS NULL, ${NULL_TEXT}, ${text})`;
}

/** The select-list expression of a whole row as one COPY line, or undefined when a column needs the row-by-row path. */
export function copyLineExpr(columns: readonly Column[]): string | undefined {
  const fields = columns.map((c) => fieldText(c, q(c.name)));
  if (fields.length === 0 || fields.some((f) => f === undefined)) return undefined;
  // CONCAT, not CONCAT_WS, which would skip a NULL field and shift the rest of the line.
  return `CONCAT(${fields.join(", '\\t', ")})`;
}
