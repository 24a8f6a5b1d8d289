// Cells of CSV/JSON files (file-source.ts types every one 'string') as the value the
// destination column takes, so that a file Ferry wrote loads back as the values it was
// written from (value-text.ts is the other half of each rule):
// * binary columns travel through CSV/JSON files as base64, read back strictly: text that is
//   not canonical base64 fails the chunk naming the column, never stored as other bytes;
// * an instant (ISO 8601 with an offset or Z) into a column without zone stores its UTC wall
//   time, as timestamptz values do (sessions run in UTC): never shifted, never refused;
// * 'true'/'false' into an integer or boolean column (MySQL's TINYINT(1), BIT(1)) is 1/0.
// Rows from any other source pass as they are: a VARCHAR copied into a VARBINARY keeps its text.
import { TEXT_FILE_ENGINE, type Column, type LogicalType, type TableSchema, type Value } from '../../engine/types';
import { utcWallTime } from '../../model/calendar';
import { columnNamed } from './fit';

export interface FileCells {
  /** The source's columns, typed as the converted values are (a base64 column is 'bytes'). */
  readonly columns: readonly Column[];
  /** The rows with each converted cell replaced, as new arrays; throws naming the column of a cell it cannot read. */
  convert(rows: readonly Value[][]): Value[][];
}

export interface FileCellOptions {
  /** Destination types that hold an instant as its UTC wall time (MySQL DATETIME and TIMESTAMP, PostgreSQL timestamp). */
  readonly wallTime: readonly LogicalType[];
}

type Cell = (text: string) => Value;

/**
 * How to write rows of `source` into the destination columns named `names` (same positions),
 * as the destination's catalog describes them (`target`); undefined when the rows are not
 * from a CSV/JSON file or no column needs a conversion.
 */
export function fileCells(source: TableSchema, names: readonly string[], target: readonly Column[], opts: FileCellOptions): FileCells | undefined {
  if (source.engine !== TEXT_FILE_ENGINE) return undefined;
  const targets = names.map((n) => columnNamed(target, n));
  const cells = source.columns.map((s, i) => (s.type === 'string' && targets[i] ? cellFor(targets[i], opts) : undefined));
  if (cells.every((c) => c === undefined)) return undefined;
  const columns = source.columns.map((s, i) => (cells[i] && targets[i]?.type === 'bytes' ? { ...s, type: 'bytes' as const } : s));
  const converted = cells.flatMap((cell, i) => (cell ? [[i, cell] as const] : []));
  return {
    columns,
    convert: (rows) =>
      rows.map((row) => {
        const out = row.slice();
        for (const [i, cell] of converted) {
          const v = out[i];
          if (typeof v === 'string') out[i] = cell(v);
        }
        return out;
      }),
  };
}

function cellFor(t: Column, opts: FileCellOptions): Cell | undefined {
  if (t.type === 'bytes') return (text) => base64(text, t);
  if (opts.wallTime.includes(t.type)) return utcWallTime;
  if (t.type === 'integer') return (text) => (text === 'true' ? 1n : text === 'false' ? 0n : text);
  if (t.type === 'boolean') return (text) => (text === 'true' ? true : text === 'false' ? false : text);
  return undefined;
}

/** Canonical base64 only (padded, no line breaks, as Buffer writes it): a lenient decode would store other bytes. */
function base64(text: string, column: Column): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') === text) return bytes;
  const shown = text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}…` : JSON.stringify(text);
  throw new Error(`${shown} is not base64, which CSV/JSON files hold for binary column ${column.name} (${column.nativeType ?? column.type})`);
}
