// Rows into MySQL/MariaDB by LOAD DATA LOCAL INFILE: the client streams them as tab-separated
// text, which the server parses at about a third of the CPU the same rows cost as multi-row
// INSERTs (1M rows of bench.orders: 13 s of MariaDB CPU against 35 s). LOCAL means IGNORE:
// a duplicate key or a value the column cannot hold is a warning, not an error, so the
// sink treats any warning as "redo this chunk with INSERTs" (see mysql-sink.ts), which
// keeps strict mode's errors and messages exactly.
import { Readable } from 'node:stream';
import type { LogicalType, Value } from '../../../engine/types';
import { utcWallTime } from '../../../model/calendar';
import { floatText, quoteIdent as q } from './mysql-types';

/** The file name the server asks the client for; the stream factory ignores it. */
const INFILE = 'ferry-rows';
/** Text handed to the socket at a time. */
const PIECE_CHARS = 256 * 1024;

/** A statement loading rows of `types` into `columns` of `target`; bytes travel as hex and are UNHEXed. */
export function loadStatement(target: string, columns: readonly string[], types: readonly LogicalType[], replace: boolean): string {
  const fields = columns.map((c, i) => (types[i] === 'bytes' ? `@b${i}` : q(c)));
  const sets = columns.flatMap((c, i) => (types[i] === 'bytes' ? [`${q(c)} = UNHEX(@b${i})`] : []));
  return (
    `LOAD DATA LOCAL INFILE '${INFILE}' ${replace ? 'REPLACE' : 'IGNORE'} INTO TABLE ${target} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${fields.join(', ')})` +
    (sets.length ? ` SET ${sets.join(', ')}` : '')
  );
}

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIALS = /[\\\t\n\r\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/**
 * A value as LOAD DATA text, standing for what mysqlLiteral writes in an INSERT: numbers
 * as their digits, booleans as 1/0, bytes as hex, timestamptz as its UTC wall time, NULL as \N.
 */
export function loadField(v: Value, type: LogicalType | undefined): string {
  if (v === null) return '\\N';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return floatText(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  const s = type === 'timestamptz' ? utcWallTime(v) : v;
  return SPECIAL.test(s) ? s.replace(SPECIALS, (c) => ESCAPES[c]!) : s;
}

/** The rows as the file the statement reads, made piece by piece as the socket takes them. */
export function loadStream(rows: readonly Value[][], types: readonly LogicalType[]): Readable {
  function* pieces(): Generator<Buffer> {
    let text = '';
    for (const row of rows) {
      let line = '';
      for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + loadField(row[i]!, types[i]);
      text += `${line}\n`;
      if (text.length >= PIECE_CHARS) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
    if (text) yield Buffer.from(text, 'utf8');
  }
  return Readable.from(pieces(), { objectMode: false });
}
