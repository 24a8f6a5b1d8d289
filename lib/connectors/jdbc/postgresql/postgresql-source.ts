// Reads a PostgreSQL table in keyset pages over its primary key (or a unique index on
// NOT NULL columns), or streams a table without such a key, or a custom query, through
// a server-side cursor in a deterministic order.
import pg from 'pg';
import { errors } from '../../../errors';
import { approxRowBytes } from '../../../engine/position';
import type { Column, Position, RecordBatch, Source, TableSchema } from '../../../engine/types';
import type { InputMap } from '../../../model/config-values';
import type { SourceRequest } from '../../connector';
import { splitColumnList } from '../dialect';
import { nextPageRows } from '../page-rows';
import { fromPg, pgColumn, quoteIdent as q, type PgColumnInfo } from './postgresql-types';

type Row = (string | null)[];

/** Where a link points, for messages: never the password. */
export function postgresAddress(link: InputMap): string {
  return `${link['linkConfig.host']}:${link['linkConfig.port'] || 5432}`;
}

/** A driver error's message, with the link's password scrubbed should the server echo it. */
export function pgMessage(e: unknown, link: InputMap): string {
  const message = e instanceof Error ? e.message || e.name : String(e);
  const password = link['linkConfig.password'];
  return password ? message.replaceAll(password, '***') : message;
}

// No pg type parser runs: every value arrives as the server's text and postgresql-types
// converts it, so no timestamp passes through a JS Date and no bigint through a double.
const RAW_TEXT: pg.CustomTypesConfig = {
  getTypeParser: (() => (text: string) => text) as unknown as pg.CustomTypesConfig['getTypeParser'],
};

// The session settings the value conversions rely on, whatever the server's or role's
// defaults: ISO dates, UTC for timestamptz, hex bytea, floats printed exactly.
const SESSION = [
  "SET DateStyle = 'ISO, YMD'",
  "SET TimeZone = 'UTC'",
  "SET IntervalStyle = 'postgres'",
  "SET bytea_output = 'hex'",
  'SET extra_float_digits = 3',
].join('; ');

/** One connection (not a pool: a sink's chunk and its checkpoint share a transaction). */
export async function connectPostgres(link: InputMap): Promise<pg.Client> {
  const client = new pg.Client({
    host: link['linkConfig.host'],
    port: Number(link['linkConfig.port'] || 5432),
    database: link['linkConfig.database'] || undefined,
    user: link['linkConfig.username'],
    password: link['linkConfig.password'],
    ssl: link['linkConfig.useSSL'] === 'true' ? true : undefined,
    connectionTimeoutMillis: 10_000,
    application_name: 'ferry',
    types: RAW_TEXT,
  });
  // A server-side drop between queries surfaces on the next query; an unheard 'error' event would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(SESSION);
  } catch (e) {
    await client.end().catch(() => {});
    const database = link['linkConfig.database'];
    throw errors.dbConnectFailed(
      `Cannot connect to PostgreSQL at ${postgresAddress(link)}${database ? `/${database}` : ''} as ${link['linkConfig.username']}: ${pgMessage(e, link)}`,
      e,
    );
  }
  return client;
}

/** Column descriptions from (name, type oid, typmod, not null, position) tuples, domains resolved to their base type. */
function describeColumns(tuples: string): string {
  return `SELECT c.name, format_type(c.typid, c.typmod) AS formatted, bt.typname AS base,
            CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE c.typmod END AS typmod,
            n.nspname = 'pg_catalog' AS builtin, NOT c.not_null AS nullable
       FROM (${tuples}) AS c(name, typid, typmod, not_null, ord)
       JOIN pg_type t ON t.oid = c.typid
       JOIN pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      ORDER BY c.ord`;
}

interface DescribedRow {
  name: string;
  formatted: string;
  base: string;
  typmod: string;
  builtin: string;
  nullable: string;
}

function columnInfo(r: DescribedRow): PgColumnInfo {
  return { ...r, typmod: Number(r.typmod), builtin: r.builtin === 't', nullable: r.nullable === 't' };
}

/** A table's columns as the catalog describes them, in table order. */
export async function tableColumns(client: pg.Client, oid: string): Promise<PgColumnInfo[]> {
  const { rows } = await client.query<DescribedRow>(
    describeColumns(`SELECT attname::text, atttypid, atttypmod, attnotnull, attnum FROM pg_attribute
                      WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped`),
    [oid],
  );
  return rows.map(columnInfo);
}

/** The table's (or view's) oid, or undefined when it does not exist. Catalog lookup by name: no quoting, any server version. */
export async function tableOid(client: pg.Client, schemaName: string, table: string): Promise<string | undefined> {
  const { rows } = await client.query<{ oid: string }>(
    `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [schemaName, table],
  );
  return rows[0]?.oid;
}

export async function openPostgresSource(req: SourceRequest): Promise<Source> {
  const client = await connectPostgres(req.link);
  try {
    return req.from['fromJobConfig.useSql'] === 'true' ? await querySource(client, req) : await tableSource(client, req);
  } catch (e) {
    await client.end().catch(() => {});
    if (e instanceof Error && e.name === 'CdmError') throw e;
    throw errors.sqlFailed(`Reading the source description from PostgreSQL at ${postgresAddress(req.link)} failed: ${pgMessage(e, req.link)}`, e);
  }
}

async function tableSource(client: pg.Client, req: SourceRequest): Promise<Source> {
  const schemaName = req.from['fromJobConfig.schemaName'] || 'public';
  const table = req.from['fromJobConfig.tableName']!;
  const oid = await tableOid(client, schemaName, table);
  if (!oid) throw errors.tableUnavailable(`Table ${schemaName}.${table} does not exist in the source database.`);
  const info = await tableColumns(client, oid);

  const wanted = splitColumnList(req.from['fromJobConfig.columnList']);
  for (const name of wanted ?? []) {
    if (!info.some((c) => c.name === name)) {
      throw errors.invalidParameter(`fromJobConfig.columnList names column ${name}, which ${schemaName}.${table} does not have.`);
    }
  }
  const columns = (wanted ? wanted.map((n) => info.find((c) => c.name === n)!) : info).map(pgColumn);
  const { primaryKey, key } = await keyOf(client, oid);
  const from = `${q(schemaName)}.${q(table)}`;
  const whereClause = req.from['fromJobConfig.whereClause'];
  const where = whereClause ? `(${whereClause})` : 'TRUE';
  const names = columns.map((c) => q(c.name)).join(', ');
  const schema: TableSchema = { engine: 'postgresql', columns, primaryKey };
  const failed = (e: unknown) =>
    errors.extractFailed(`Reading ${schemaName}.${table} from PostgreSQL at ${postgresAddress(req.link)} failed: ${pgMessage(e, req.link)}`, e);

  async function estimateRows(): Promise<number> {
    if (whereClause) return planRows(client, `SELECT 1 FROM ${from} WHERE ${where}`);
    // reltuples is -1 (PostgreSQL 14+) or 0 (before) until the table is first analyzed.
    const { rows } = await client.query<{ reltuples: string }>('SELECT reltuples FROM pg_class WHERE oid = $1::oid', [oid]);
    const estimate = Number(rows[0]?.reltuples ?? -1);
    if (estimate > 0) return Math.round(estimate);
    return Number((await client.query<{ count: string }>(`SELECT count(*) FROM ${from}`)).rows[0]!.count);
  }

  if (!key) {
    return {
      schema,
      estimateRows,
      read: (position, chunkRows) =>
        cursorRead(client, `SELECT ${names} FROM ${from} WHERE ${where}`, columns.map((c) => q(c.name)), columns, position, chunkRows, failed),
      close: () => client.end().catch(() => {}),
    };
  }

  // Keyset pages: each query seeks past the last key through the key's index, so a page
  // costs the same at row 10 and at row 10 million, and the last key is the resume point.
  const keyCols = key.map((k) => q(k.name));
  const select = `SELECT ${keyCols.join(', ')}, ${names} FROM ${from}`;
  const after = `(${keyCols.join(', ')}) > (${key.map((k, i) => `$${i + 1}::${k.formatted}`).join(', ')})`;
  const order = `ORDER BY ${keyCols.join(', ')}`;
  return {
    schema,
    estimateRows,
    async *read(position, chunkRows) {
      let last = position?.key as string[] | undefined;
      let pageRows = Math.trunc(chunkRows);
      for (;;) {
        const limit = `LIMIT ${pageRows}`;
        let rows: Row[];
        try {
          rows = (
            last
              ? await client.query<Row>({ text: `${select} WHERE ${where} AND ${after} ${order} ${limit}`, values: last, rowMode: 'array' })
              : await client.query<Row>({ text: `${select} WHERE ${where} ${order} ${limit}`, rowMode: 'array' })
          ).rows;
        } catch (e) {
          throw failed(e);
        }
        if (rows.length === 0) return;
        // Key values stay in the server's text: bound back with a cast, they compare exactly.
        last = rows[rows.length - 1]!.slice(0, key.length) as string[];
        const batch = toBatch(rows, key.length, columns, { key: last });
        yield batch;
        // Fewer rows than asked for: the table's end (asked of this page, not of fetchSize).
        if (rows.length < pageRows) return;
        pageRows = nextPageRows(batch, chunkRows);
      }
    },
    close: () => client.end().catch(() => {}),
  };
}

interface KeyColumn {
  readonly name: string;
  readonly formatted: string;
}

/**
 * The primary key, and the key to page on: the primary key, else the narrowest unique
 * index (not partial, not on expressions) whose columns are all NOT NULL.
 */
async function keyOf(client: pg.Client, oid: string): Promise<{ primaryKey: string[]; key?: KeyColumn[] }> {
  const { rows } = await client.query<{ idx: string; is_primary: string; name: string; formatted: string; not_null: string }>(
    // generate_series over the key positions, not unnest … WITH ORDINALITY: DWS is a 9.2-era server.
    `SELECT i.indexrelid AS idx, i.indisprimary AS is_primary, a.attname AS name,
            format_type(a.atttypid, a.atttypmod) AS formatted, a.attnotnull AS not_null
       FROM (SELECT indexrelid, indrelid, indisprimary, indkey, generate_series(0, indnatts - 1) AS k
               FROM pg_index
              WHERE indrelid = $1::oid
                AND (indisprimary OR (indisunique AND indisvalid AND indpred IS NULL AND indexprs IS NULL))) i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[i.k]
      ORDER BY i.indisprimary DESC, i.indexrelid, i.k`,
    [oid],
  );
  const indexes = new Map<string, typeof rows>();
  for (const r of rows) indexes.set(r.idx, [...(indexes.get(r.idx) ?? []), r]);
  const candidates = [...indexes.values()].filter((cols) => cols.every((c) => c.not_null === 't'));
  const primary = candidates.find((cols) => cols[0]!.is_primary === 't');
  const key = primary ?? candidates.sort((a, b) => a.length - b.length)[0];
  return {
    primaryKey: primary?.map((c) => c.name) ?? [],
    key: key?.map(({ name, formatted }) => ({ name, formatted })),
  };
}

async function querySource(client: pg.Client, req: SourceRequest): Promise<Source> {
  // A trailing semicolon is natural in a console and fatal inside a subquery.
  const sql = req.from['fromJobConfig.sql']!.trim().replace(/;+\s*$/, '');
  let fields: pg.FieldDef[];
  try {
    fields = (await client.query(`SELECT * FROM (${sql}) AS q LIMIT 0`)).fields;
  } catch (e) {
    throw errors.sqlFailed(`fromJobConfig.sql does not run on the source: ${pgMessage(e, req.link)}`, e);
  }
  const tuples = fields.map((_, i) => `($${3 * i + 1}::text, $${3 * i + 2}::oid, $${3 * i + 3}::int4, false, ${i})`);
  const described = fields.length
    ? (await client.query<DescribedRow>(describeColumns(`VALUES ${tuples.join(', ')}`), fields.flatMap((f) => [f.name, f.dataTypeID, f.dataTypeModifier]))).rows
    : [];
  const columns = described.map((r) => pgColumn(columnInfo(r)));
  // Output names may repeat (`SELECT a.id, b.id`): the wrapper renames them by position.
  const aliases = columns.map((_, i) => q(`c${i + 1}`));
  const select = `SELECT * FROM (${sql}) AS q(${aliases.join(', ')})`;
  const failed = (e: unknown) =>
    errors.extractFailed(`Running fromJobConfig.sql on PostgreSQL at ${postgresAddress(req.link)} failed: ${pgMessage(e, req.link)}`, e);
  return {
    schema: { engine: 'postgresql', columns, primaryKey: [] },
    estimateRows: () => planRows(client, select),
    read: (position, chunkRows) => cursorRead(client, select, aliases, columns, position, chunkRows, failed),
    close: () => client.end().catch(() => {}),
  };
}

/** The planner's row estimate: cheap, unlike counting a filtered table or a query. */
async function planRows(client: pg.Client, select: string): Promise<number> {
  const { rows } = await client.query<Row>({ text: `EXPLAIN (FORMAT JSON) ${select}`, rowMode: 'array' });
  const plan = JSON.parse(rows[0]![0]!) as [{ Plan: { 'Plan Rows': number } }];
  return Math.round(plan[0].Plan['Plan Rows']);
}

/**
 * Streams rows without a key through a server-side cursor, in the byte order of the
 * columns' text forms. That order is total up to rows identical in every column read —
 * and those are interchangeable — so a run that resumes at row N of the same data (the
 * position is a row count) neither skips nor repeats a row. `ORDER BY ctid` would not
 * survive: VACUUM FULL, CLUSTER or an update move rows. The cost is one sort per
 * invocation on the server; the cursor keeps memory here at one batch.
 */
async function* cursorRead(
  client: pg.Client,
  select: string,
  orderBy: readonly string[],
  columns: readonly Column[],
  position: Position | undefined,
  chunkRows: number,
  failed: (e: unknown) => Error,
): AsyncGenerator<RecordBatch> {
  let offset = Number(position?.offset ?? 0);
  const order = orderBy.map((c) => `${c}::text COLLATE "C"`).join(', ');
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query(`DECLARE ferry_read NO SCROLL CURSOR FOR ${select} ORDER BY ${order} OFFSET ${offset}`);
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw failed(e);
  }
  try {
    let pageRows = Math.trunc(chunkRows);
    for (;;) {
      let rows: Row[];
      try {
        rows = (await client.query<Row>({ text: `FETCH FORWARD ${pageRows} FROM ferry_read`, rowMode: 'array' })).rows;
      } catch (e) {
        throw failed(e);
      }
      if (rows.length === 0) return;
      offset += rows.length;
      const batch = toBatch(rows, 0, columns, { offset });
      yield batch;
      if (rows.length < pageRows) return;
      pageRows = nextPageRows(batch, chunkRows);
    }
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

function toBatch(raw: Row[], skip: number, columns: readonly Column[], position: Position): RecordBatch {
  let bytes = 0;
  const rows = raw.map((r) => {
    const row = columns.map((c, i) => fromPg(c.type, r[skip + i] ?? null));
    bytes += approxRowBytes(row);
    return row;
  });
  return { rows, position, bytes };
}
