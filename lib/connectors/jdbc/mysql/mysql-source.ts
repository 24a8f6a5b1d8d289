// Reads a MySQL/MariaDB table in keyset pages over its primary key, or streams a table
// without a usable key (or a custom query) in a deterministic order.
import type { Connection, FieldPacket } from 'mysql2/promise';
import type { Connection as CoreConnection } from 'mysql2';
import { errors } from '../../../errors';
import { approxRowBytes, decodeKey, encodeKey } from '../../../engine/position';
import type { Column, CsvEncoding, Position, RecordBatch, Source, Value } from '../../../engine/types';
import type { InputMap } from '../../../model/config-values';
import type { SourceRequest } from '../../connector';
import { splitColumnList } from '../dialect';
import { nextPageRows } from '../page-rows';
import { copyLineExpr } from './mysql-copy-text';
import { csvLineExpr } from './mysql-csv-text';
import { connectMysql, isMissingTable, mysqlAddress, mysqlMessage } from './mysql-connection';
import {
  fieldColumn,
  fromMysql,
  hasSpatial,
  mysqlColumn,
  mysqlLiteral,
  NotABooleanError,
  quoteIdent as q,
  rawGeometry,
  type MysqlColumnInfo,
} from './mysql-types';

export async function openMysqlSource(req: SourceRequest): Promise<Source> {
  const conn = await connectMysql(req.link);
  try {
    return req.from['fromJobConfig.useSql'] === 'true' ? await querySource(conn, req) : await tableSource(conn, req);
  } catch (e) {
    conn.destroy();
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.sqlFailed(`Reading the source definition on MySQL at ${mysqlAddress(req.link)} failed: ${mysqlMessage(e)}`, e);
  }
}

type Row = unknown[];

async function rows(conn: Connection, sql: string, values: unknown[] = [], typeCast?: typeof lineAsBytes): Promise<Row[]> {
  const [result] = await conn.query({ sql, values, rowsAsArray: true, typeCast });
  return result as Row[];
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function readColumns(conn: Connection, schema: string, table: string): Promise<MysqlColumnInfo[]> {
  const cols = await rows(
    conn,
    `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE,
            DATETIME_PRECISION, CHARACTER_SET_NAME
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [schema, table],
  );
  // MariaDB's JSON is LONGTEXT plus a CHECK (json_valid(`col`)) named after the column.
  const json = new Set<string>();
  if (cols.some((c) => String(c[1]).toLowerCase() === 'longtext')) {
    try {
      const checks = await rows(
        conn,
        'SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
        [schema, table],
      );
      for (const [clause] of checks) {
        const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(clause));
        if (m) json.add(m[1]!.replaceAll('``', '`'));
      }
    } catch {
      // MySQL has no TABLE_NAME there, and no JSON-as-LONGTEXT either.
    }
  }
  return cols.map((c) => ({
    name: String(c[0]),
    dataType: String(c[1]),
    columnType: String(c[2]),
    nullable: c[3] === 'YES',
    charLength: num(c[4]),
    precision: num(c[5]),
    scale: num(c[6]),
    fsp: num(c[7]),
    json: json.has(String(c[0])),
    charset: c[8] === null ? null : String(c[8]),
  }));
}

/** Tables this small (by InnoDB's statistic) are counted exactly for the estimate; larger ones take the statistic. */
const EXACT_COUNT_BELOW = 100_000;

/** Character sets whose bytes are UTF-8 as they are stored (utf8 is utf8mb3, a subset of utf8mb4). */
const UTF8_CHARSETS = /^(utf8mb4|utf8mb3|utf8)$/i;

/** Types whose `>` agrees with their ORDER BY, so they can carry a keyset (not ENUM, SET, FLOAT, BIT …). */
const KEYSET_TYPES = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|char|varchar|binary|varbinary|date|time|datetime|timestamp|year)$/;

/** The primary key, and the key to page on: the primary key, else a unique index over NOT NULL columns. */
async function readKeys(conn: Connection, schema: string, table: string, info: readonly MysqlColumnInfo[]) {
  const stats = await rows(
    conn,
    `SELECT INDEX_NAME, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [schema, table],
  );
  const indexes = new Map<string, { column: string | null; prefix: boolean }[]>();
  for (const [index, column, subPart] of stats) {
    const parts = indexes.get(String(index)) ?? [];
    parts.push({ column: column === null ? null : String(column), prefix: subPart !== null });
    indexes.set(String(index), parts);
  }
  const primaryKey = (indexes.get('PRIMARY') ?? []).map((p) => p.column!).filter(Boolean);
  for (const parts of indexes.values()) {
    const cols = parts.map((p) => (p.prefix || !p.column ? undefined : info.find((c) => c.name === p.column)));
    if (cols.every((c) => c && !c.nullable && KEYSET_TYPES.test(c.dataType.toLowerCase()) && !c.columnType.startsWith('tinyint(1)'))) {
      return { primaryKey, key: cols.map((c) => mysqlColumn(c!)) };
    }
  }
  return { primaryKey, key: [] as Column[] };
}

async function tableSource(conn: Connection, req: SourceRequest): Promise<Source> {
  const schemaName = req.from['fromJobConfig.schemaName'] || req.link['linkConfig.database'];
  if (!schemaName) {
    throw errors.invalidParameter('fromJobConfig.schemaName (the MySQL database) is mandatory when the link has no linkConfig.database.');
  }
  const table = req.from['fromJobConfig.tableName']!;
  const info = await readColumns(conn, schemaName, table);
  if (info.length === 0) throw errors.tableUnavailable(`Table ${schemaName}.${table} does not exist in the source database.`);

  const wanted = splitColumnList(req.from['fromJobConfig.columnList']);
  for (const name of wanted ?? []) {
    if (!info.some((c) => c.name === name)) {
      throw errors.invalidParameter(`fromJobConfig.columnList names column ${name}, which ${schemaName}.${table} does not have.`);
    }
  }
  const picked = wanted ? wanted.map((n) => info.find((c) => c.name === n)!) : info;
  const columns = picked.map(mysqlColumn);
  // Text columns whose stored bytes are already UTF-8: the CSV lines take them without a CONVERT.
  const utf8 = new Set(picked.filter((c) => UTF8_CHARSETS.test(c.charset ?? '')).map((c) => c.name));
  const { primaryKey, key } = await readKeys(conn, schemaName, table, info);
  const from = `${q(schemaName)}.${q(table)}`;
  const where = req.from['fromJobConfig.whereClause'] ? `(${req.from['fromJobConfig.whereClause']})` : '1=1';
  const list = columns.map((c) => selectExpr(q(c.name), c)).join(', ');
  const reader = new Reader(conn, req.link, `${schemaName}.${table}`, hasSpatial(columns) ? rawGeometry : undefined);
  // CSV lines are built with MariaDB's float text and PCRE REGEXP on bytes, proven against MariaDB
  // only (MySQL 8's REGEXP refuses binary strings): MySQL keeps the row-by-row path.
  const [[version]] = (await reader.run('SELECT VERSION()')) as [[unknown]];
  const csvLines = /mariadb/i.test(String(version));
  // The table's engine and InnoDB's row statistic (for estimateRows), in one look.
  const [[engine, options, stat] = []] = await reader.run(
    'SELECT ENGINE, CREATE_OPTIONS, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schemaName, table],
  );
  // Only InnoDB's scans meet rows in primary key order, partitions aside (see csvPages).
  const clustered = /^innodb$/i.test(String(engine)) && !/partitioned/i.test(String(options ?? ''));

  return {
    schema: { engine: 'mysql', columns, primaryKey },
    async estimateRows() {
      // InnoDB's statistic is cheap but rough; an exact count scans the whole index before the
      // copy starts (0.3–0.7 s for 1M rows), so it is taken only where that is a few milliseconds.
      if (where === '1=1' && stat !== null && stat !== undefined && Number(stat) >= EXACT_COUNT_BELOW) return Number(stat);
      const [[count]] = (await reader.run(`SELECT COUNT(*) FROM ${from} WHERE ${where}`)) as [[unknown]];
      return Number(count);
    },
    read(position, chunkRows, opts) {
      if (key.length === 0) {
        // No usable key: one streamed query ordered by every column read (ties are then
        // identical rows, so any order among them yields the same data), resumed by skipping
        // the rows already delivered. Costs a server-side sort; right for a table that does
        // not change during the copy, as any copy without a key must assume.
        const order = columns.map(orderExpr).join(', ');
        return reader.stream(`SELECT ${list} FROM ${from} WHERE ${where} ORDER BY ${order}`, columns, position, chunkRows);
      }
      const encoding = opts?.encoding;
      const values = valueRows(key, columns, list);
      const copyLine = encoding === 'pg-copy' ? copyLineExpr(columns) : undefined;
      const csv = typeof encoding === 'object' && csvLines ? encoding : undefined;
      const csvLine = csv && csvLineExpr(columns, csv, utf8);
      const lineByLine = csvLine ? csvRows(key, csvLine, csv!, values) : undefined;
      const shape = copyLine
        ? copyRows(key, copyLine, values)
        : lineByLine && clustered && primaryKey.length === 1 && key.length === 1 && key[0]!.name === primaryKey[0]
          ? csvPages(key[0]!, csvLineExpr(columns, csv!, utf8, true)!, csv!, lineByLine)
          : (lineByLine ?? values);
      return keysetPages(reader, { from, where, key }, shape, position, chunkRows);
    },
    close: () => reader.close(),
  };
}

/**
 * How a column is read. MariaDB prints a FLOAT with 6 significant digits (1048576 reads
 * as 1048580); as a DOUBLE it prints the float's exact value, which every float column
 * it is written to rounds back to the same float. Floats arrive as that text, parsed by
 * fromMysql: mysql2's own parser reads 999999999999999.9 as 1000000000000000.
 */
function selectExpr(ref: string, c: Column): string {
  if (c.type !== 'float') return ref;
  return `CAST(${c.precision === 24 ? `CAST(${ref} AS DOUBLE)` : ref} AS CHAR)`;
}

/**
 * A column's part of a total, repeatable order. Strings sort by their bytes (under a
 * case-insensitive collation 'a' and 'A' would tie). The server sorts on the first
 * max_sort_length (1024) bytes only, so longer values would tie on a shared prefix: those
 * sort by their MD5, which is repeatable, and repeatable is all this order must be.
 */
function orderExpr(c: Column): string {
  if (c.type !== 'string' && c.type !== 'json' && c.type !== 'bytes') return q(c.name);
  // 255 utf8mb4 characters are at most 1020 bytes.
  return c.length !== undefined && c.length <= 255 ? `CAST(${q(c.name)} AS BINARY)` : `MD5(${q(c.name)})`;
}

interface KeysetQuery {
  from: string;
  where: string;
  key: readonly Column[];
}

/** One keyset page to read. */
interface PageQuery {
  /** Selects `select` for the page's rows, in key order: `rows` of them at most (by default the page's). */
  sql(select: string, rows?: number): string;
  /** The table, and the page's condition: the read's, and after the last key. */
  readonly from: string;
  readonly where: string;
  /** The most rows a page holds. */
  readonly rows: number;
  /** The key of the last row read before the page (none: the page is the read's first). */
  readonly last?: readonly Value[];
}

/** What a keyset page selects and how it is read into a batch. */
interface PageShape {
  /** Where each key column stands in a fetched row. */
  readonly keyAt: readonly number[];
  /** Reads the page, or resolves undefined when this shape cannot carry it exactly: `fallback` reads it then. */
  read(reader: Reader, page: PageQuery): Promise<Page | undefined>;
  readonly fallback?: PageShape;
}

interface Page {
  readonly count: number;
  /** The last row as fetched (its key columns at the shape's keyAt); with no rows, where the next page starts. */
  readonly last?: Row;
  /** Whether rows may follow (by default: the page holds the query's `rows`). */
  readonly more?: boolean;
  batch(position: Position): RecordBatch;
}

/** Pages in key order, each starting after the last key of the one before (the position). */
async function* keysetPages(reader: Reader, k: KeysetQuery, shape: PageShape, position: Position | undefined, chunkRows: number) {
  const order = `ORDER BY ${k.key.map((c) => q(c.name)).join(', ')} LIMIT`;
  let last = Array.isArray(position?.key) ? decodeKey(position.key) : undefined;
  for (;;) {
    const where = `${k.where}${last ? ` AND ${after(k.key, last)}` : ''}`;
    const query: PageQuery = {
      sql: (select, rows = chunkRows) => `SELECT ${select} FROM ${k.from} WHERE ${where} ${order} ${rows}`,
      from: k.from,
      where,
      rows: chunkRows,
      last,
    };
    let used = shape;
    let page = await used.read(reader, query);
    while (!page && used.fallback) {
      used = used.fallback;
      page = await used.read(reader, query);
    }
    if (!page?.last) return;
    const tail = page.last;
    last = k.key.map((c, i) => fromMysql(c.type, tail[used.keyAt[i]!]));
    if (page.count > 0) yield page.batch({ key: encodeKey(last) });
    if (!(page.more ?? page.count === chunkRows)) return;
  }
}

/**
 * Rows as values; the key's columns are read once: from the list when it has them, else ahead of
 * it. The read's first page of values asks for the page's rows (fetchSize), the next ones for
 * fewer when the last one's rows were wide (nextPageRows); lines pages keep their own size.
 */
function valueRows(key: readonly Column[], columns: readonly Column[], list: string): PageShape {
  const inList = key.map((kc) => columns.findIndex((c) => c.name === kc.name));
  const keyFirst = !inList.every((i) => i >= 0);
  const skip = keyFirst ? key.length : 0;
  const select = keyFirst ? `${key.map((c) => q(c.name)).join(', ')}, ${list}` : list;
  let nextRows: number | undefined;
  return {
    keyAt: keyFirst ? key.map((_, i) => i) : inList,
    async read(reader, page) {
      const asked = nextRows ?? page.rows;
      const rows = await reader.run(page.sql(select, asked));
      return {
        count: rows.length,
        last: rows.at(-1),
        // Fewer rows than asked of this page (not than fetchSize): the table's end.
        more: rows.length === asked,
        batch(at) {
          const batch = toBatch(rows, skip, columns, at, reader.table);
          nextRows = nextPageRows(batch, page.rows);
          return batch;
        },
      };
    },
  };
}

/**
 * Whole rows as PostgreSQL COPY lines (`line` is the line's expression), after the key's columns.
 * The server makes a line longer than max_allowed_packet NULL: that page is read as `values`.
 */
function copyRows(key: readonly Column[], line: string, values: PageShape): PageShape {
  const select = `${key.map((c) => q(c.name)).join(', ')}, ${line} AS ${q(LINE)}`;
  return {
    keyAt: key.map((_, i) => i),
    fallback: values,
    async read(reader, page) {
      const rows = await reader.run(page.sql(select), [], lineAsBytes);
      if (rows.some((r) => r[key.length] === null)) return undefined;
      return {
        count: rows.length,
        last: rows.at(-1),
        batch(position) {
          let bytes = 0;
          const lines = rows.map((r) => {
            const bytesOfLine = r[key.length] as Buffer;
            bytes += bytesOfLine.length;
            return [bytesOfLine];
          });
          return { rows: lines, position, bytes, encoded: 'pg-copy' };
        },
      };
    },
  };
}

/**
 * Whole rows as CSV lines in `encoded` (`line` is the line's expression), after the key's
 * columns, joined as they arrive into one buffer (RecordBatch.lines). CSV lines are binary
 * strings, which mysql2 returns as bytes without a typeCast. The server makes a line longer
 * than max_allowed_packet NULL: that page is read as `values`.
 */
function csvRows(key: readonly Column[], line: string, encoded: CsvEncoding, values: PageShape): PageShape {
  const end = Buffer.from(encoded.lineSeparator, 'utf8');
  // Every piece of the line is UTF-8 (or ASCII) text: as a binary string it arrives as its bytes, not decoded.
  const select = `${key.map((c) => q(c.name)).join(', ')}, CAST(${line} AS BINARY) AS ${q(LINE)}`;
  return {
    keyAt: key.map((_, i) => i),
    fallback: values,
    async read(reader, query) {
      const page = await reader.lines(query.sql(select), key.length, end);
      if (!page) return undefined;
      return {
        count: page.count,
        last: page.last,
        // BYTES_READ counts the lines' bytes, not their separators.
        batch: (position) => ({ rows: [], lines: page, position, bytes: page.bytes.length - page.count * end.length, encoded }),
      };
    },
  };
}

/**
 * A page of CSV lines joined by the server into one value: one packet a page instead of one a
 * row spares the client a packet parse and a Buffer per row (most of its CPU in an export).
 * `ended` is the line with its separator. For a one-column primary key of an InnoDB table that
 * is not partitioned: the page's last key is found first, then the lines up to it are joined as
 * a scan of the primary key (InnoDB's rows themselves) meets them, in key order. (Ordering inside
 * GROUP_CONCAT costs the server a sort a page, and a derived table in key order a temporary
 * table a page.) A NULL line (see csvRows) joins as U+FFFF, which data hardly ever holds: the
 * page is then read line by line. So is a page whose lines outgrow group_concat_max_len (set to
 * half of max_allowed_packet), and every later page of this read.
 */
function csvPages(key: Column, ended: string, encoded: CsvEncoding, lineByLine: PageShape): PageShape {
  const k = q(key.name);
  const end = Buffer.byteLength(encoded.lineSeparator, 'utf8');
  const joined = `GROUP_CONCAT(IFNULL(${ended}, _utf8mb4 X'${NULL_LINE.toString('hex')}') SEPARATOR '') AS ${q(LINE)}`;
  let fits = true;
  const spans = key.type === 'integer' ? keySpans(key) : undefined;
  return {
    keyAt: [0],
    fallback: lineByLine,
    async read(reader, page) {
      if (!fits) return undefined;
      const longest = await reader.allowLongConcat();
      for (;;) {
        const span = await spans?.next(reader, page);
        const [bound] = span ? [[span.to]] : await reader.run(`SELECT ${k} FROM ${page.from} WHERE ${page.where} ORDER BY ${k} LIMIT ${page.rows - 1}, 1`);
        const upTo = bound ? ` AND ${k} <= ${mysqlLiteral(fromMysql(key.type, bound[0]), key.type)}` : '';
        const [[count, last, bytes]] = (await reader.run(
          `SELECT COUNT(*), MAX(${k}), ${joined} FROM ${page.from} FORCE INDEX (PRIMARY) WHERE ${page.where}${upTo}`,
          [],
          lineAsBytes,
        )) as [[unknown, unknown, Buffer | null]];
        const n = Number(count);
        // Cut (at a character's start, so up to 3 bytes short of the limit), or over max_allowed_packet (NULL).
        const over = n > 0 && (bytes === null || bytes.length > longest - 4);
        // A span that met denser keys than the last: again, narrower.
        if (over && span && spans!.narrow()) continue;
        spans?.met(n, page.rows);
        // No rows left up to the bound (deleted since it was found, or none in the span): the next page starts after it.
        if (n === 0) return { count: 0, last: bound, more: bound !== undefined, batch: () => ({ rows: [], position: {}, bytes: 0 }) };
        if (over) fits = false;
        if (!fits || bytes!.includes(NULL_LINE)) return undefined;
        return {
          count: n,
          // After a span, the next page starts after the span (rows up to its end are all read).
          last: span ? bound : [last],
          more: bound !== undefined,
          // BYTES_READ counts the lines' bytes, not their separators.
          batch: (position) => ({ rows: [], lines: { bytes: bytes!, count: n }, position, bytes: bytes!.length - n * end, encoded }),
        };
      }
    },
  };
}

/**
 * Pages of an integer key as spans of its values: `k <= from + width`, the width fitted to the
 * page's rows by how many the last span held. Finding each page's end by walking the key
 * (`ORDER BY k LIMIT rows - 1, 1`) read every row a second time, a fifth of the server's work
 * in an export. Spans stop short of the key's largest value when the read began: the tail (and
 * rows added beyond it since) goes by that walk, so nothing added meanwhile is missed that a
 * keyset read would see.
 */
function keySpans(key: Column) {
  const k = q(key.name);
  let top: bigint | null | undefined;
  let width = 0n;
  let current: { from: bigint; to: bigint } | undefined;
  return {
    /** The page's span, or undefined when the page is to be found by walking the key. */
    async next(reader: Reader, page: PageQuery): Promise<{ to: bigint } | undefined> {
      if (top === undefined) {
        const [[low, high]] = (await reader.run(`SELECT MIN(${k}), MAX(${k}) FROM ${page.from} WHERE ${page.where}`)) as [[unknown, unknown]];
        top = high === null ? null : BigInt(String(high));
        // Assume the keys dense until a span says otherwise; the first span starts at the lowest.
        width = BigInt(page.rows);
        if (!page.last && low !== null) current = { from: BigInt(String(low)) - 1n, to: 0n };
      }
      const from = page.last ? BigInt(String(page.last[0])) : current?.from;
      if (top === null || from === undefined || from + width >= top) return (current = undefined);
      current = { from, to: from + width };
      return current;
    },
    /** The span held `n` rows: the next one is as wide as `rows` of them would take (at least 1). */
    met(n: number, rows: number): void {
      if (!current) return;
      width = n === 0 ? width * 4n : (width * BigInt(rows)) / BigInt(n) || 1n;
    },
    /** The span held more than one value can join: halves it for the next try, unless it is one key wide. */
    narrow(): boolean {
      if (!current || width <= 1n) return false;
      width /= 2n;
      return true;
    },
  };
}

/** U+FFFF, a noncharacter, in UTF-8. */
const NULL_LINE = Buffer.from([0xef, 0xbf, 0xbf]);
const LINE = 'ferry_line';
/** The first page of lines starts in this many bytes, and grows. */
const MIN_LINE_BYTES = 64 * 1024;
/** The line stays in the UTF-8 bytes it arrives in: decoding it only to encode it again for COPY would cost a copy a row. */
function lineAsBytes(field: { name: string; type: string; buffer(): Buffer | null }, next: () => unknown): unknown {
  return field.name === LINE ? field.buffer() : next();
}

/** `(a > x) OR (a = x AND b > y)`: a keyset condition MySQL's range optimizer turns into one index range. */
function after(key: readonly Column[], values: readonly Value[]): string {
  const terms = key.map((_, i) =>
    key
      .slice(0, i + 1)
      .map((c, j) => `${q(c.name)} ${j === i ? '>' : '='} ${mysqlLiteral(values[j]!, c.type)}`)
      .join(' AND '),
  );
  return `(${terms.map((t) => `(${t})`).join(' OR ')})`;
}

async function querySource(conn: Connection, req: SourceRequest): Promise<Source> {
  const sql = req.from['fromJobConfig.sql']!.trim().replace(/;\s*$/, '');
  const wrapped = `SELECT * FROM (${sql}) AS ferry_q`;
  let fields: FieldPacket[];
  try {
    [, fields] = await conn.query({ sql: `${wrapped} LIMIT 0`, rowsAsArray: true });
  } catch (e) {
    if (isMissingTable(e)) throw errors.tableUnavailable(`fromJobConfig.sql reads a table that does not exist: ${mysqlMessage(e)}`, e);
    throw errors.sqlFailed(`fromJobConfig.sql does not run on the source: ${mysqlMessage(e)}`, e);
  }
  const columns = fields.map(fieldColumn);
  const list = columns.map((c) => selectExpr(`ferry_q.${q(c.name)}`, c)).join(', ');
  const reader = new Reader(conn, req.link, undefined, hasSpatial(columns) ? rawGeometry : undefined);
  return {
    schema: { engine: 'mysql', columns, primaryKey: [] },
    async estimateRows() {
      const [[count]] = (await reader.run(`SELECT COUNT(*) FROM (${sql}) AS ferry_q`)) as [[unknown]];
      return Number(count);
    },
    // A query has no key to page on: ordered by every column and resumed by a row count, as
    // for a table without a key.
    read: (position, chunkRows) =>
      reader.stream(`SELECT ${list} FROM (${sql}) AS ferry_q ORDER BY ${columns.map(orderExpr).join(', ')}`, columns, position, chunkRows),
    close: () => reader.close(),
  };
}

/** The source's connection: plain queries, one streamed query at a time, error mapping. */
class Reader {
  private streaming = false;
  /** What a page of lines starts with (lines): the last page's size and an eighth. */
  private lineBytes = MIN_LINE_BYTES;
  constructor(
    private readonly conn: Connection,
    private readonly link: InputMap,
    /** The table read (`schema.table`), or undefined for fromJobConfig.sql: errors about its values name it. */
    readonly table: string | undefined,
    /** Set only for rows with spatial columns. */
    private readonly typeCast?: typeof lineAsBytes,
  ) {}

  private longConcat?: Promise<number>;
  /** Lets GROUP_CONCAT reach the longest value the server sends (its default cuts at 1 MiB); resolves that length. */
  allowLongConcat(): Promise<number> {
    return (this.longConcat ??= (async () => {
      await this.run('SET SESSION group_concat_max_len = @@max_allowed_packet DIV 2');
      const [[longest]] = (await this.run('SELECT @@group_concat_max_len')) as [[unknown]];
      return Number(longest);
    })());
  }

  async run(sql: string, values: unknown[] = [], typeCast = this.typeCast): Promise<Row[]> {
    try {
      return await rows(this.conn, sql, values, typeCast);
    } catch (e) {
      throw this.failure(e);
    }
  }

  /**
   * Streams a query's rows in batches of `chunkRows`, fewer after a batch of wide rows
   * (nextPageRows); mysql2 pauses the socket while the engine writes a batch, so memory holds
   * one batch and the stream's small buffer. On resume, LIMIT skips the rows already delivered
   * (one skip per read, not per page).
   */
  async *stream(sql: string, columns: readonly Column[], position: Position | undefined, chunkRows: number) {
    let offset = typeof position?.offset === 'number' ? position.offset : 0;
    const skip = offset > 0 ? ` LIMIT ${offset}, 18446744073709551615` : '';
    // The promise API has no streams; its core connection does.
    const core = (this.conn as unknown as { connection: CoreConnection }).connection;
    const stream = core.query({ sql: sql + skip, rowsAsArray: true, typeCast: this.typeCast }).stream({ highWaterMark: Math.min(chunkRows, 1000) });
    this.streaming = true;
    let batch: Row[] = [];
    let batchRows = Math.trunc(chunkRows);
    try {
      for await (const raw of stream as AsyncIterable<Row>) {
        batch.push(raw);
        if (batch.length === batchRows) {
          offset += batch.length;
          const full = toBatch(batch, 0, columns, { offset }, this.table);
          yield full;
          batchRows = nextPageRows(full, chunkRows);
          batch = [];
        }
      }
      this.streaming = false;
    } catch (e) {
      throw this.failure(e);
    }
    if (batch.length) {
      offset += batch.length;
      yield toBatch(batch, 0, columns, { offset }, this.table);
    }
  }

  /**
   * A query whose rows end with a line (column `at`, bytes) after the key's columns: the lines
   * joined in one buffer, each followed by `end`, copied as each row arrives so that no row
   * outlives its packet; and the last row. Undefined when a line is NULL (the server's answer
   * to a line over max_allowed_packet).
   */
  lines(sql: string, at: number, end: Buffer): Promise<{ bytes: Buffer; count: number; last?: Row } | undefined> {
    const core = (this.conn as unknown as { connection: CoreConnection }).connection;
    // Sized by the previous page: pages of one read are alike, so one rarely grows.
    let out = Buffer.allocUnsafe(this.lineBytes);
    let used = 0;
    let count = 0;
    let last: Row | undefined;
    let whole = true;
    return new Promise((resolve, reject) => {
      core
        .query({ sql, rowsAsArray: true })
        .on('result', (row: Row) => {
          const line = row[at] as Buffer | null;
          if (line === null) whole = false;
          if (!whole) return; // the rest of the answer is read and dropped
          const need = used + line!.length + end.length;
          if (need > out.length) {
            const grown = Buffer.allocUnsafe(Math.max(need, out.length * 2));
            grown.set(out.subarray(0, used));
            out = grown;
          }
          out.set(line!, used);
          used += line!.length;
          if (end.length === 1) out[used++] = end[0]!;
          else {
            out.set(end, used);
            used += end.length;
          }
          count++;
          last = row;
        })
        .on('error', (e: unknown) => reject(this.failure(e)))
        .on('end', () => {
          if (!whole) return resolve(undefined);
          this.lineBytes = Math.max(MIN_LINE_BYTES, used + (used >> 3));
          resolve({ bytes: out.subarray(0, used), count, last });
        });
    });
  }

  async close(): Promise<void> {
    // A stream abandoned mid-way leaves rows on the wire: drop the connection rather than drain it.
    if (this.streaming) this.conn.destroy();
    else await this.conn.end().catch(() => this.conn.destroy());
  }

  private failure(e: unknown): Error {
    if (e instanceof Error && e.name === 'CdmError') return e;
    if (isMissingTable(e)) return errors.tableUnavailable(`Reading the source failed: ${mysqlMessage(e)}`, e);
    // The server rejected the statement (a bad whereClause, say) vs. the read broke off.
    const rejected = (e as { sqlState?: string }).sqlState !== undefined;
    return (rejected ? errors.sqlFailed : errors.extractFailed)(
      `Reading from MySQL at ${mysqlAddress(this.link)} failed: ${mysqlMessage(e)}`,
      e,
    );
  }
}

/** Rows as the engine's values; converted in place where no key columns lead them (spares an array a row). */
function toBatch(raw: Row[], skip: number, columns: readonly Column[], position: Position, table: string | undefined): RecordBatch {
  let bytes = 0;
  const out = new Array<Value[]>(raw.length);
  let i = 0;
  try {
    for (let n = 0; n < raw.length; n++) {
      const row = skip ? raw[n]!.slice(skip) : raw[n]!;
      for (i = 0; i < columns.length; i++) row[i] = fromMysql(columns[i]!.type, row[i]);
      bytes += approxRowBytes(row as Value[]);
      out[n] = row as Value[];
    }
  } catch (e) {
    throw e instanceof NotABooleanError ? notABoolean(columns[i]!, e, table) : e;
  }
  return { rows: out, position, bytes };
}

/**
 * The read's failure on a TINYINT(1) value other than 0 and 1: read as a boolean it would
 * arrive as `true`, so the run stops, naming the column and value and how to read it as a number.
 */
function notABoolean(column: Column, e: NotABooleanError, table: string | undefined): Error {
  const way = table
    ? `alter the column to TINYINT(4) (or SMALLINT), or read the table with fromJobConfig.useSql and CAST(${q(column.name)} AS SIGNED)`
    : `select it in fromJobConfig.sql as CAST(${q(column.name)} AS SIGNED)`;
  return errors.extractFailed(
    `Column ${column.name} of ${table ?? 'fromJobConfig.sql'} holds ${e.value}, which is not a boolean: Ferry reads a TINYINT(1) ` +
      `as a boolean (0 or 1), and ${e.value} would arrive as true. To copy its numbers, ${way}.`,
    e,
  );
}
