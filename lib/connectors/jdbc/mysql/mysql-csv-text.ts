// MySQL/MariaDB → CSV files without taking rows apart: the source server formats each row
// as the CSV line the file sink would write for it, and the sink writes the bytes as they
// come (as mysql-copy-text.ts does for PostgreSQL COPY). Each field expression yields
// exactly valueToText (value-text.ts) of the value the row-by-row read (fromMysql) gives,
// quoted as formatCsvLine (csv-format.ts) quotes it; a column type not covered here keeps
// the export on the row-by-row path.
import type { Column, CsvEncoding } from '../../../engine/types';
import { csvQuoteRule } from '../../files/csv-format';
import { bounded, quoteIdent as q, quoteString } from './mysql-types';

/**
 * JavaScript's String(x) of a DOUBLE. MariaDB prints the same shortest digits, and lays
 * them out the same way for 1e-6 <= |x| < 1e15; beyond, it writes 1e15 where JavaScript
 * writes 1000000000000000, 1e21 for 1e+21, and 0.0000001 for 1e-7. -0 is '0' in both.
 */
function jsNumber(r: string): string {
  const t = `CAST(ABS(${r}) AS CHAR)`;
  // 'd.ddde[-]n': its digits and exponent.
  const digits = `REPLACE(SUBSTRING_INDEX(${t}, 'e', 1), '.', '')`;
  const exp = `CAST(SUBSTRING_INDEX(${t}, 'e', -1) AS SIGNED)`;
  // …laid out plain, below 1e21: '1e15' → '1000000000000000', '1.2345678901234567e15' → '1234567890123456.7'.
  const plain = `IF(LENGTH(${digits}) > ${exp} + 1, CONCAT(LEFT(${digits}, ${exp} + 1), '.', SUBSTRING(${digits}, ${exp} + 2)), RPAD(${digits}, ${exp} + 1, '0'))`;
  // '0.000000ddd' (below 1e-6) → 'd.dde-7'.
  const fraction = `SUBSTRING(${t}, 3)`;
  const significant = `TRIM(LEADING '0' FROM ${fraction})`;
  const small =
    `CONCAT(LEFT(${significant}, 1), IF(LENGTH(${significant}) > 1, CONCAT('.', SUBSTRING(${significant}, 2)), ''), ` +
    `'e-', LENGTH(${fraction}) - LENGTH(${significant}) + 1)`;
  return (
    `CASE WHEN ${r} = 0 THEN '0' WHEN ABS(${r}) >= 1e-6 AND ABS(${r}) < 1e15 THEN CAST(${r} AS CHAR) ` +
    `ELSE CONCAT(IF(${r} < 0, '-', ''), CASE WHEN ABS(${r}) >= 1e21 THEN REPLACE(${t}, 'e', 'e+') ` +
    `WHEN LOCATE('e', ${t}) = 0 THEN IF(ABS(${r}) < 1e-6, ${small}, ${t}) ` +
    `WHEN ABS(${r}) < 1e-6 THEN ${t} ELSE ${plain} END) END`
  );
}

const DIGITS = '0123456789';
const BASE64 = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz${DIGITS}+/=`;

/**
 * A column's text as the row-by-row path writes it, and the characters that text can hold
 * (undefined: any), or undefined when this path does not cover the column's type.
 */
function valueText(c: Column, ref: string, utf8: boolean): { text: string; alphabet?: string } | undefined {
  switch (c.type) {
    case 'integer':
      // The number, as the row-by-row read parses it: ZEROFILL ('0042') and YEAR ('0000') print padded.
      return { text: /zerofill|^year/i.test(c.nativeType ?? '') ? `(${ref} + 0)` : ref, alphabet: `-${DIGITS}` };
    case 'decimal':
      // The server's own text, which the row-by-row read keeps as it is.
      return { text: ref, alphabet: `-.${DIGITS}` };
    case 'float': {
      // FLOAT as the row-by-row read takes it: as a DOUBLE (see selectExpr in mysql-source.ts). A DOUBLE(M,D)
      // prints padded to its scale (0.1 as '0.10'): cast, it prints its shortest digits, as jsNumber expects.
      const scaled = /\(/.test(c.nativeType ?? '');
      return { text: jsNumber(c.precision === 24 || scaled ? `CAST(${ref} AS DOUBLE)` : ref), alphabet: `-+.e${DIGITS}` };
    }
    case 'boolean':
      // A TINYINT(1) holding another number is no boolean: NULL makes its line NULL, and the page read as
      // values, where fromMysql fails the read naming it.
      return { text: `CASE WHEN ${ref} = 1 THEN 'true' WHEN ${ref} = 0 THEN 'false' END`, alphabet: 'truefals' };
    case 'date':
      return { text: ref, alphabet: `-${DIGITS}` };
    case 'time':
      return { text: ref, alphabet: `-:.${DIGITS}` };
    case 'timestamp':
      return { text: ref, alphabet: `- :.${DIGITS}` };
    case 'timestamptz':
      // TIMESTAMP reads in the session's UTC: '2024-01-01 10:00:00.5' → '2024-01-01T10:00:00.5+00:00'.
      return { text: `CONCAT(REPLACE(${ref}, ' ', 'T'), '+00:00')`, alphabet: `-T:.+${DIGITS}` };
    case 'bytes': {
      // Spatial values read as the server's internal bytes (rawGeometry): not covered here.
      if (/^(geometry|point|linestring|polygon|multi|geomcollection)/i.test(c.nativeType ?? '')) return undefined;
      // BIT(n) reads as its bytes, whole: HEX() of a BIT is its number, without leading zeros.
      const bit = /^bit\((\d+)\)/i.exec(c.nativeType ?? '');
      const bytes = bit ? `UNHEX(LPAD(HEX(${ref}), ${2 * Math.ceil(Number(bit[1]) / 8)}, '0'))` : ref;
      // TO_BASE64 breaks its output into lines of 76 characters; Buffer's base64 does not.
      // (Longer bytes make the line NULL, and the page is read as values: see bounded.)
      return { text: bounded(bytes, `REPLACE(TO_BASE64(${bytes}), '\\n', '')`), alphabet: BASE64 };
    }
    case 'string':
    case 'json':
      // UTF-8 whatever the column's character set, so that the quoting test below compares UTF-8 bytes.
      // A column stored in UTF-8 is that already: a CONVERT to the same character set still
      // copies every value (~0.2 s of MariaDB CPU per 1M values, and the text is used up to three times).
      return { text: utf8 ? ref : `CONVERT(${ref} USING utf8mb4)` };
    default:
      return undefined;
  }
}

/** A PCRE pattern matching `text`'s UTF-8 bytes, whatever the session's collation: each byte as \xhh. */
function bytesPattern(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}

/** A field as formatCsvLine writes it: quoted when asked, or when csvQuoteRule (csv-format.ts) says so. */
function csvField(text: string, alphabet: string | undefined, enc: CsvEncoding): string {
  // A quote inside doubles; a value too long for REPLACE that holds one makes the line NULL (see bounded).
  const doubled = `IF(INSTR(${text}, '"') > 0, ${bounded(text, `REPLACE(${text}, '"', '""')`)}, ${text})`;
  const quoted = `CONCAT('"', ${doubled}, '"')`;
  if (enc.quote) return quoted;
  // Only what the column's texts can hold is looked for.
  const fits = (n: string) => alphabet === undefined || [...n].every((ch) => alphabet.includes(ch));
  const rule = csvQuoteRule(enc.fieldSeparator, enc.lineSeparator);
  const anywhere = rule.anywhere.filter(fits).map(bytesPattern);
  const atEnd = rule.atEnd.filter(fits).map(bytesPattern);
  if (atEnd.length > 0) anywhere.push(`(?:${atEnd.join('|')})\\z`);
  if (anywhere.length === 0) return text;
  // One REGEXP scans a value once, where an INSTR a needle would scan it for each.
  const pattern = `X'${Buffer.from(anywhere.join('|'), 'latin1').toString('hex')}'`;
  return `IF(CAST(${text} AS BINARY) REGEXP ${pattern}, ${quoted}, ${text})`;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The select-list expression of a row as one CSV line, in UTF-8 text, or undefined when a column
 * needs the row-by-row path; `ended`: with the line separator after it. `utf8` names the text
 * columns stored in UTF-8 (the others are converted). (A line longer than max_allowed_packet
 * comes back NULL: see mysql-source.ts.)
 */
export function csvLineExpr(
  columns: readonly Column[],
  enc: CsvEncoding,
  utf8: ReadonlySet<string> = new Set(),
  ended = false,
): string | undefined {
  // Lone surrogates in a separator would not survive the trip to the server as UTF-8.
  if (LONE_SURROGATE.test(enc.fieldSeparator + enc.lineSeparator)) return undefined;
  const fields: string[] = [];
  for (const i of enc.columns) {
    const c = columns[i];
    const v = c && valueText(c, q(c.name), utf8.has(c.name));
    if (!v) return undefined;
    const field = csvField(v.text, v.alphabet, enc);
    // NULL is an empty field. Not IFNULL: a text longer than max_allowed_packet is NULL too,
    // and must make the whole line NULL (then read as values), never an empty field.
    fields.push(c.nullable ? `IF(${q(c.name)} IS NULL, '', ${field})` : field);
  }
  if (fields.length === 0) return undefined;
  const pieces = fields.join(`, ${quoteString(enc.fieldSeparator)}, `);
  // One CONCAT with the separator in it: each nesting would copy the line again.
  if (ended) return `CONCAT(${pieces}, ${quoteString(enc.lineSeparator)})`;
  return fields.length === 1 ? fields[0] : `CONCAT(${pieces})`;
}
