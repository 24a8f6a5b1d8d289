// Reads a SQLite table (keyset pages over the primary key or rowid) or a custom query.
import Database from 'better-sqlite3';
import { errors } from '../../../errors';
import { approxRowBytes, decodeKey, encodeKey } from '../../../engine/position';
import type { Column, Position, RecordBatch, Source, TableSchema, Value } from '../../../engine/types';
import type { SourceRequest } from '../../connector';
import { splitColumnList } from '../dialect';
import { nextPageRows } from '../page-rows';
import { fromSqlite, logicalType, quoteIdent as q } from './sqlite-types';

interface TableInfoRow {
  name: string;
  type: string;
  notnull: bigint;
  pk: bigint;
  hidden: bigint;
}

export function openSqliteDatabase(file: string, readonly: boolean): Database.Database {
  try {
    const db = new Database(file, { readonly, fileMustExist: readonly });
    db.defaultSafeIntegers(true);
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (e) {
    throw errors.dbConnectFailed(`Cannot open SQLite database ${file}: ${(e as Error).message}`, e);
  }
}

export async function openSqliteSource(req: SourceRequest): Promise<Source> {
  const db = openSqliteDatabase(req.link['linkConfig.database']!, true);
  try {
    return req.from['fromJobConfig.useSql'] === 'true' ? querySource(db, req) : tableSource(db, req);
  } catch (e) {
    db.close();
    throw e;
  }
}

function tableSource(db: Database.Database, req: SourceRequest): Source {
  const schemaName = req.from['fromJobConfig.schemaName'] || 'main';
  const table = req.from['fromJobConfig.tableName']!;
  const info = db
    .prepare<[string, string], TableInfoRow>('SELECT name, type, "notnull", pk, hidden FROM pragma_table_xinfo(?, ?)')
    .all(table, schemaName)
    .filter((c) => c.hidden !== 1n);
  if (info.length === 0) throw errors.tableUnavailable(`Table ${schemaName}.${table} does not exist in the source database.`);

  const wanted = splitColumnList(req.from['fromJobConfig.columnList']);
  for (const name of wanted ?? []) {
    if (!info.some((c) => c.name === name)) {
      throw errors.invalidParameter(`fromJobConfig.columnList names column ${name}, which ${schemaName}.${table} does not have.`);
    }
  }
  const picked = wanted ? wanted.map((n) => info.find((c) => c.name === n)!) : info;
  const columns: Column[] = picked.map((c) => ({
    name: c.name,
    type: logicalType(c.type),
    nullable: c.notnull === 0n && c.pk === 0n,
    nativeType: c.type || undefined,
  }));
  const primaryKey = info.filter((c) => c.pk > 0n).sort((a, b) => Number(a.pk - b.pk)).map((c) => c.name);
  // Without a primary key, SQLite's rowid is a stable, indexed key for keyset paging.
  const key = primaryKey.length ? primaryKey.map(q) : ['rowid'];
  const from = `${q(schemaName)}.${q(table)}`;
  const where = req.from['fromJobConfig.whereClause'] ? `(${req.from['fromJobConfig.whereClause']})` : '1=1';
  const select = `SELECT ${key.join(', ')}, ${columns.map((c) => q(c.name)).join(', ')} FROM ${from}`;
  const after = key.length === 1 ? `${key[0]} > ?` : `(${key.join(', ')}) > (${key.map(() => '?').join(', ')})`;
  const order = `ORDER BY ${key.join(', ')} LIMIT ?`;
  const first = db.prepare(`${select} WHERE ${where} ${order}`).raw(true);
  const next = db.prepare(`${select} WHERE ${where} AND ${after} ${order}`).raw(true);
  const schema: TableSchema = { engine: 'sqlite', columns, primaryKey };

  return {
    schema,
    async estimateRows() {
      const row = db.prepare(`SELECT count(*) FROM ${from} WHERE ${where}`).pluck().get() as bigint;
      return Number(row);
    },
    async *read(position, chunkRows) {
      let keyValues = position ? decodeKey(position.key as unknown[]) : undefined;
      let pageRows = Math.trunc(chunkRows);
      for (;;) {
        const raw = (keyValues ? next.all(...keyValues.map(bindKey), pageRows) : first.all(pageRows)) as unknown[][];
        if (raw.length === 0) return;
        keyValues = raw[raw.length - 1]!.slice(0, key.length) as Value[];
        const batch = toBatch(raw, key.length, columns, { key: encodeKey(keyValues) });
        yield batch;
        // Fewer rows than asked for: the table's end (asked of this page, not of fetchSize).
        if (raw.length < pageRows) return;
        pageRows = nextPageRows(batch, chunkRows);
      }
    },
    async close() {
      db.close();
    },
  };
}

function querySource(db: Database.Database, req: SourceRequest): Source {
  const sql = req.from['fromJobConfig.sql']!;
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(`SELECT * FROM (${sql}) LIMIT ? OFFSET ?`).raw(true);
  } catch (e) {
    throw errors.sqlFailed(`fromJobConfig.sql does not run on the source: ${(e as Error).message}`, e);
  }
  const sample = stmt.get(1, 0) as unknown[] | undefined;
  const columns: Column[] = stmt.columns().map((c, i) => ({
    name: c.name,
    type: c.type ? logicalType(c.type) : sampleType(sample?.[i]),
    nullable: true,
    nativeType: c.type ?? undefined,
  }));
  return {
    schema: { engine: 'sqlite', columns, primaryKey: [] },
    async estimateRows() {
      return Number(db.prepare(`SELECT count(*) FROM (${sql})`).pluck().get() as bigint);
    },
    // A query has no key to page on; SQLite runs the same plan over the same data, so a
    // row offset is a stable resume point here.
    async *read(position, chunkRows) {
      let offset = (position?.offset as number | undefined) ?? 0;
      let pageRows = Math.trunc(chunkRows);
      for (;;) {
        const raw = stmt.all(pageRows, offset) as unknown[][];
        if (raw.length === 0) return;
        offset += raw.length;
        const batch = toBatch(raw, 0, columns, { offset });
        yield batch;
        if (raw.length < pageRows) return;
        pageRows = nextPageRows(batch, chunkRows);
      }
    },
    async close() {
      db.close();
    },
  };
}

function sampleType(v: unknown): Column['type'] {
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return 'float';
  if (v instanceof Uint8Array) return 'bytes';
  return 'string';
}

function bindKey(v: Value): unknown {
  return v instanceof Uint8Array ? Buffer.from(v) : v;
}

function toBatch(raw: unknown[][], skip: number, columns: readonly Column[], position: Position): RecordBatch {
  let bytes = 0;
  const rows = raw.map((r) => {
    const row = columns.map((c, i) => fromSqlite(c.type, r[skip + i], !c.nativeType));
    bytes += approxRowBytes(row);
    return row;
  });
  return { rows, position, bytes };
}
