// Reading PostgreSQL: quoted names, the job's filters, resuming from any position without
// losing or repeating a row (with and without a primary key), estimates, connection errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jdbcConnector } from '../../../lib/connectors/jdbc/jdbc-connector';
import type { InputMap } from '../../../lib/model/config-values';
import type { Position, Source, Value } from '../../../lib/engine/types';
import { createTestDatabase, testRun, type TestDatabase } from '../../support/postgres';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('source');
  await db.query(`CREATE SCHEMA "default";
    CREATE TABLE "default"."order" ("select" int PRIMARY KEY, "from" text, "Mixed Case" text);
    INSERT INTO "default"."order" VALUES (1, 'a', 'x'), (2, 'b', NULL), (3, 'c', 'z');
    CREATE TABLE keyed (region text COLLATE "und-x-icu", n int, note text, PRIMARY KEY (region, n));
    INSERT INTO keyed SELECT r, n, 'row ' || n FROM unnest(ARRAY['Zürich', 'zurich', 'a b', 'A', '😀', '']) r, generate_series(1, 200) n;
    CREATE TABLE bag (a int, b text, c jsonb);
    INSERT INTO bag SELECT n % 5, CASE WHEN n % 3 = 0 THEN NULL ELSE 'v' || (n % 4) END, CASE WHEN n % 7 = 0 THEN NULL ELSE '{"k": 1}'::jsonb END
      FROM generate_series(1, 300) n;
    CREATE TABLE uniq (code text NOT NULL UNIQUE, v int);
    INSERT INTO uniq SELECT 'c' || n, n FROM generate_series(1, 50) n;`);
});
afterAll(async () => {
  await db?.drop();
});

const open = (from: InputMap, link: InputMap = db.link) => jdbcConnector.openSource!({ link, from, run: testRun() });
const table = (schemaName: string, tableName: string, extra: InputMap = {}) =>
  open({ 'fromJobConfig.schemaName': schemaName, 'fromJobConfig.tableName': tableName, ...extra });

/** Every row a source yields from `from` on, with the position after each batch. */
async function readFrom(source: Source, from: Position | undefined, chunkRows: number) {
  const batches: { rows: Value[][]; position: Position }[] = [];
  for await (const b of source.read(from, chunkRows)) batches.push({ rows: b.rows, position: b.position });
  return batches;
}

async function readAll(source: Source, chunkRows = 1000): Promise<Value[][]> {
  try {
    return (await readFrom(source, undefined, chunkRows)).flatMap((b) => b.rows);
  } finally {
    await source.close();
  }
}

/**
 * Reads the whole table as a crashing executor would: after every batch the source is
 * dropped and a new one resumes from that batch's position; `between` runs at each crash.
 */
async function readWithCrashes(openIt: () => Promise<Source>, chunkRows: number, between: () => Promise<void> = async () => {}) {
  const rows: Value[][] = [];
  let position: Position | undefined;
  for (;;) {
    const source = await openIt();
    try {
      const it = source.read(position, chunkRows)[Symbol.asyncIterator]();
      const next = await it.next();
      await it.return?.();
      if (next.done) return rows;
      rows.push(...next.value.rows);
      position = next.value.position;
    } finally {
      await source.close();
    }
    await between();
  }
}

const sorted = (rows: Value[][]) => rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
const tableRows = async (sql: string) => sorted((await db.query(sql)).map((r) => Object.values(r).map((v) => (v !== null && /^-?\d+$/.test(v) ? BigInt(v) : v))));

describe('names and filters', () => {
  it('reads a table named "order" in a schema named "default", with reserved and mixed-case column names', async () => {
    const source = await table('default', 'order');
    expect(source.schema.columns.map((c) => c.name)).toEqual(['select', 'from', 'Mixed Case']);
    expect(source.schema.primaryKey).toEqual(['select']);
    expect(await readAll(source, 2)).toEqual([[1n, 'a', 'x'], [2n, 'b', null], [3n, 'c', 'z']]);
  });

  it('applies whereClause and reads only the columns of columnList, in its order', async () => {
    const source = await table('default', 'order', { 'fromJobConfig.whereClause': `"select" >= 2`, 'fromJobConfig.columnList': 'Mixed Case&select' });
    expect(source.schema.columns.map((c) => c.name)).toEqual(['Mixed Case', 'select']);
    expect(await readAll(source, 1)).toEqual([[null, 2n], ['z', 3n]]);
  });

  it('rejects a columnList naming a column the table does not have', async () => {
    await expect(table('default', 'order', { 'fromJobConfig.columnList': 'select&nope' })).rejects.toMatchObject({ code: 'Cdm.0014' });
  });

  it('reports a missing table as Cdm.0900', async () => {
    await expect(table('public', 'missing')).rejects.toMatchObject({ code: 'Cdm.0900' });
  });

  it('runs a custom query (useSql), trailing semicolon and repeated output names included, resumable mid-way', async () => {
    const from = {
      'fromJobConfig.useSql': 'true',
      'fromJobConfig.sql': `SELECT o."select" AS id, o."from" AS id, k.n::bigint * 3000000000000 AS big
                              FROM "default"."order" o JOIN keyed k ON k.n = o."select" WHERE k.region = 'A';`,
    };
    const source = await open(from);
    expect(source.schema.columns.map((c) => [c.name, c.type])).toEqual([['id', 'integer'], ['id', 'string'], ['big', 'integer']]);
    expect(await readAll(source, 2)).toEqual([[1n, 'a', 3000000000000n], [2n, 'b', 6000000000000n], [3n, 'c', 9000000000000n]]);
    expect(sorted(await readWithCrashes(() => open(from), 1))).toEqual(
      sorted([[1n, 'a', 3000000000000n], [2n, 'b', 6000000000000n], [3n, 'c', 9000000000000n]]),
    );
  });

  it('reports a custom query that does not run as Cdm.0902', async () => {
    await expect(open({ 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELECT nope FROM keyed' })).rejects.toMatchObject({ code: 'Cdm.0902' });
  });
});

describe('resuming', () => {
  it('resumes from any batch position on a composite key with a linguistic collation: no row lost, none repeated', async () => {
    const everything = await readAll(await table('public', 'keyed'));
    expect(everything).toHaveLength(1200);
    const source = await table('public', 'keyed');
    const batches = await readFrom(source, undefined, 97);
    for (const cut of [1, 5, batches.length - 1]) {
      const rest = await readFrom(source, batches[cut - 1]!.position, 97);
      const rows = [...batches.slice(0, cut).flatMap((b) => b.rows), ...rest.flatMap((b) => b.rows)];
      expect(rows).toEqual(everything);
    }
    await source.close();
  });

  it('a table without a primary key still migrates whole across crashes, even when rows move on disk between them', async () => {
    // UPDATE … SET a = a rewrites every row at a new ctid, as VACUUM FULL or CLUSTER would.
    const rows = await readWithCrashes(() => table('public', 'bag'), 23, async () => void (await db.query('UPDATE bag SET a = a')));
    expect(rows).toHaveLength(300);
    expect(sorted(rows)).toEqual(await tableRows('SELECT a, b, c::text FROM bag'));
  });

  it('a table keyed only by a unique NOT NULL column is paged on it and resumes exactly', async () => {
    const rows = await readWithCrashes(() => table('public', 'uniq', { 'fromJobConfig.whereClause': 'v % 2 = 0' }), 4);
    expect(sorted(rows)).toEqual(await tableRows('SELECT code, v FROM uniq WHERE v % 2 = 0'));
    const source = await table('public', 'uniq');
    expect(source.schema.primaryKey).toEqual([]);
    await source.close();
  });
});

describe('pages of wide rows', () => {
  // 10 KB a row: 1,000 rows (fetchSize) would be 10 MB of data, ~100 MB once read into values.
  beforeAll(async () => {
    await db.query(`CREATE TABLE wide (id int PRIMARY KEY, body text);
      INSERT INTO wide SELECT n, repeat(chr(65 + n % 26), 10000) FROM generate_series(1, 1500) n;
      CREATE TABLE wide_bag AS SELECT * FROM wide;`);
  });

  it.each([
    ['a key (keyset pages)', 'wide'],
    ['no key (a cursor)', 'wide_bag'],
  ])('with %s hold about a megabyte each after the first, and every row arrives exactly once', async (_what, name) => {
    const source = await table('public', name);
    const batches = await readFrom(source, undefined, 1000);
    await source.close();
    const sizes = batches.map((b) => b.rows.length);
    // The first page is fetchSize rows; the next ones as many as fit the budget (1.25 MiB of ~10 KB rows).
    expect(sizes[0]).toBe(1000);
    expect(sizes.slice(1).every((n) => n <= 131)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1500);
    const ids = batches.flatMap((b) => b.rows.map((r) => Number(r[0])));
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 1500 }, (_v, i) => i + 1));
  });
});

describe('estimates and connections', () => {
  it('estimates a never-analyzed table by counting, an analyzed one from its statistics', async () => {
    await db.query('CREATE TABLE fresh AS SELECT n FROM generate_series(1, 1234) n');
    const before = await table('public', 'fresh');
    expect(await before.estimateRows()).toBe(1234);
    await before.close();
    await db.query('ANALYZE fresh');
    const after = await table('public', 'fresh');
    expect(await after.estimateRows()).toBe(1234);
    const filtered = await table('public', 'fresh', { 'fromJobConfig.whereClause': 'n > 1000' });
    expect(await filtered.estimateRows()).toBeGreaterThan(0);
    await Promise.all([after.close(), filtered.close()]);
  });

  it('an unreachable server is Cdm.0901 naming host:port, never the password', async () => {
    const link = { ...db.link, 'linkConfig.port': '1', 'linkConfig.password': 's3cret-pw' };
    const error = await open({ 'fromJobConfig.tableName': 'keyed' }, link).catch((e: Error & { code?: string }) => e);
    expect(error).toMatchObject({ code: 'Cdm.0901' });
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('s3cret-pw');
  });
});
