// Writing PostgreSQL: creating and clearing the destination as the job asks, conflict
// handling, and exactly-once chunks guarded by the checkpoint row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jdbcConnector } from '../../../lib/connectors/jdbc/jdbc-connector';
import { CheckpointConflictError } from '../../../lib/engine/types';
import type { Checkpoint, Column, RecordBatch, Sink, TableSchema, Value } from '../../../lib/engine/types';
import type { InputMap } from '../../../lib/model/config-values';
import { createTestDatabase, testRun, type TestDatabase } from '../../support/postgres';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('sink');
});
afterAll(async () => {
  await db?.drop();
});

/** What a MySQL source would report for `id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL, qty INT`. */
const PEOPLE: TableSchema = {
  engine: 'mysql',
  columns: [
    { name: 'id', type: 'integer', nullable: false, precision: 64, nativeType: 'bigint' },
    { name: 'name', type: 'string', nullable: false, length: 20, nativeType: 'varchar(20)' },
    { name: 'qty', type: 'integer', nullable: true, precision: 32, nativeType: 'int' },
  ],
  primaryKey: ['id'],
};

const batch = (rows: Value[][], at = rows.length): RecordBatch => ({ rows, position: { key: [at] }, bytes: 0 });
const cp = (rows: number): Checkpoint => ({ position: { key: [rows] }, rowsRead: rows, rowsWritten: rows, bytesRead: rows * 10 });

const sinks: Sink[] = [];
async function openSink(to: InputMap, schema: TableSchema = PEOPLE, submissionId = 1): Promise<Sink> {
  const sink = await jdbcConnector.openSink!({ link: db.link, to, run: testRun(submissionId), schema });
  sinks.push(sink);
  return sink;
}
afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
});

/** The end of a successful run, as the engine calls it once every slice is done. */
const complete = (to: InputMap) => jdbcConnector.complete!({ link: db.link, to, run: testRun(1), partitions: 1 });

/** Prepares and writes `rows` as one chunk, finishes, and completes the run. */
async function load(to: InputMap, rows: Value[][], schema: TableSchema = PEOPLE): Promise<void> {
  const sink = await openSink(to, schema);
  await sink.prepare();
  await sink.checkpoint();
  await sink.write(batch(rows), cp(rows.length));
  await sink.finish();
  await complete(to);
}

/** The table's primary key as PostgreSQL describes it, or undefined. */
async function primaryKey(table: string): Promise<string | undefined> {
  const rows = await db.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [table]);
  return rows[0] && `${rows[0].conname}: ${rows[0].def}`;
}

const dump = async (table: string) => (await db.query(`SELECT * FROM ${table} ORDER BY 1`)).map((r) => Object.values(r));

describe('tablePreparation', () => {
  it('DO_NOTHING on a missing table is Cdm.0900', async () => {
    const sink = await openSink({ 'toJobConfig.tableName': 'absent', 'toJobConfig.tablePreparation': 'DO_NOTHING' });
    await expect(sink.prepare()).rejects.toMatchObject({ code: 'Cdm.0900' });
  });

  it('CREATE_WHEN_NOT_EXIST creates the table with the primary key and NOT NULLs, then keeps it and its rows', async () => {
    const to = { 'toJobConfig.tableName': 'people_created', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' };
    await load(to, [[1n, 'ann', 3n]]);
    const [pk] = await db.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'people_created'::regclass AND contype = 'p'`);
    expect(pk!.def).toBe('PRIMARY KEY (id)');
    const notNull = await db.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'people_created'::regclass AND attnum > 0 AND attnotnull ORDER BY attnum`);
    expect(notNull.map((r) => r.attname)).toEqual(['id', 'name']);
    await load(to, [[2n, 'bob', null]], { ...PEOPLE, engine: 'mysql' });
    expect(await dump('people_created')).toEqual([['1', 'ann', '3'], ['2', 'bob', null]]);
  });

  it('DROP_AND_CREATE replaces a table of another shape', async () => {
    await db.query('CREATE TABLE people_dropped (other text); INSERT INTO people_dropped VALUES ($$old$$)');
    await load({ 'toJobConfig.tableName': 'people_dropped', 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' }, [[7n, 'gil', 1n]]);
    expect(await dump('people_dropped')).toEqual([['7', 'gil', '1']]);
  });

  it('useNullable=false drops the NOT NULL constraints, extendCharLength triples character lengths', async () => {
    await load(
      { 'toJobConfig.tableName': 'people_loose', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST', 'toJobConfig.useNullable': 'false', 'toJobConfig.extendCharLength': 'true' },
      [[1n, 'ann', null]],
    );
    const cols = await db.query(`SELECT attname, attnotnull, format_type(atttypid, atttypmod) AS type FROM pg_attribute
                                  WHERE attrelid = 'people_loose'::regclass AND attnum > 0 ORDER BY attnum`);
    expect(cols).toEqual([
      { attname: 'id', attnotnull: 't', type: 'bigint' }, // the primary key implies NOT NULL
      { attname: 'name', attnotnull: 'f', type: 'character varying(60)' },
      { attname: 'qty', attnotnull: 'f', type: 'integer' },
    ]);
  });

  it('writes into a table named "order" in a schema named "default", keeping its checkpoint there', async () => {
    await db.query('CREATE SCHEMA "default"');
    const sink = await openSink({ 'toJobConfig.schemaName': 'default', 'toJobConfig.tableName': 'order', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' });
    await sink.prepare();
    await sink.checkpoint();
    await sink.write(batch([[1n, 'x', 1n]]), cp(1));
    expect(await dump('"default"."order"')).toEqual([['1', 'x', '1']]);
    // Beside the run's checkpoint, the primary key the table gets when the run succeeds.
    expect(await db.query(`SELECT run FROM "default".__ferry_checkpoint ORDER BY run`)).toEqual([{ run: 'p1/c1/j1/1/0' }, { run: 'primary-key:order' }]);
    await complete({ 'toJobConfig.schemaName': 'default', 'toJobConfig.tableName': 'order' });
    expect(await primaryKey('"default"."order"')).toBe('order_pkey: PRIMARY KEY (id)');
  });
});

describe('the primary key of a table the run creates', () => {
  const created = (table: string, extra: InputMap = {}) => ({ 'toJobConfig.tableName': table, 'toJobConfig.tablePreparation': 'DROP_AND_CREATE', ...extra });
  const owed = async () => (await db.query(`SELECT run FROM __ferry_checkpoint WHERE run LIKE 'primary-key:%' ORDER BY run`)).map((r) => r.run);

  it('is added when the run completes, not before: the load runs without it; a repeated complete changes nothing', async () => {
    const to = created('keyed_late');
    const sink = await openSink(to);
    await sink.prepare();
    await sink.checkpoint();
    await sink.write(batch([[1n, 'ann', 1n], [2n, 'bob', null]]), cp(2));
    await sink.finish();
    expect(await primaryKey('keyed_late')).toBeUndefined();
    await complete(to);
    expect(await primaryKey('keyed_late')).toBe('keyed_late_pkey: PRIMARY KEY (id)');
    // A crash between the key and SUCCEEDED runs complete again.
    await complete(to);
    expect(await primaryKey('keyed_late')).toBe('keyed_late_pkey: PRIMARY KEY (id)');
    expect(await owed()).not.toContain('primary-key:keyed_late');
    expect(await dump('keyed_late')).toEqual([['1', 'ann', '1'], ['2', 'bob', null]]);
  });

  it('rows that break the key fail complete with Cdm.0232 naming the table and the duplicate; the rows stay and the key stays owed', async () => {
    const to = created('keyed_dup');
    await expect(load(to, [[1n, 'ann', 1n], [1n, 'twin', 2n]])).rejects.toMatchObject({
      code: 'Cdm.0232',
      message: expect.stringMatching(/public\.keyed_dup .* cannot take its primary key \(id\): .*Key \(id\)=\(1\) is duplicated/),
    });
    expect(await primaryKey('keyed_dup')).toBeUndefined();
    expect(await dump('keyed_dup')).toEqual([['1', 'ann', '1'], ['1', 'twin', '2']]);
    // Once the duplicate is gone, the next successful run into the table adds the key.
    await db.query(`DELETE FROM keyed_dup WHERE name = 'twin'`);
    await complete({ 'toJobConfig.tableName': 'keyed_dup', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' });
    expect(await primaryKey('keyed_dup')).toBe('keyed_dup_pkey: PRIMARY KEY (id)');
  });

  it.each(['REPLACE', 'UPDATE'])('onConflict %s creates the table with its key: ON CONFLICT needs it during the load', async (mode) => {
    const to = created(`keyed_${mode.toLowerCase()}`, { 'toJobConfig.onConflict': mode });
    const sink = await openSink(to);
    await sink.prepare();
    expect(await primaryKey(`keyed_${mode.toLowerCase()}`)).toBe(`keyed_${mode.toLowerCase()}_pkey: PRIMARY KEY (id)`);
    expect(await owed()).not.toContain(`primary-key:keyed_${mode.toLowerCase()}`);
  });

  it('an upsert into a table an earlier run created but never finished adds the owed key first', async () => {
    const first = await openSink(created('keyed_retry'));
    await first.prepare();
    await first.checkpoint();
    await first.write(batch([[1n, 'ann', 1n]]), cp(1));
    // That run failed here. The retry updates by key:
    await load({ 'toJobConfig.tableName': 'keyed_retry', 'toJobConfig.onConflict': 'UPDATE' }, [[1n, 'ann2', 5n], [2n, 'bob', null]]);
    expect(await primaryKey('keyed_retry')).toBe('keyed_retry_pkey: PRIMARY KEY (id)');
    expect(await dump('keyed_retry')).toEqual([['1', 'ann2', '5'], ['2', 'bob', null]]);
  });

  it('an existing table is never altered: a keyless one stays keyless through DO_NOTHING and CREATE_WHEN_NOT_EXIST', async () => {
    await db.query('CREATE TABLE keyless_kept (id bigint, name text, qty int)');
    for (const preparation of ['DO_NOTHING', 'CREATE_WHEN_NOT_EXIST']) {
      await load({ 'toJobConfig.tableName': 'keyless_kept', 'toJobConfig.tablePreparation': preparation }, [[1n, 'ann', 1n]]);
    }
    expect(await primaryKey('keyless_kept')).toBeUndefined();
    expect(await dump('keyless_kept')).toEqual([['1', 'ann', '1'], ['1', 'ann', '1']]);
  });

  it('a table dropped and made again by hand meanwhile owes nothing', async () => {
    const to = created('keyed_remade');
    const sink = await openSink(to);
    await sink.prepare();
    await db.query('DROP TABLE keyed_remade; CREATE TABLE keyed_remade (id bigint, name text, qty int)');
    await complete(to);
    expect(await primaryKey('keyed_remade')).toBeUndefined();
    expect(await owed()).not.toContain('primary-key:keyed_remade');
  });

  it('on DWS the key stays in the CREATE: it decides how the table is distributed', async () => {
    const link = { ...db.link, 'linkConfig.databaseType': 'DWS' };
    const sink = await jdbcConnector.openSink!({ link, to: created('keyed_dws'), run: testRun(1), schema: PEOPLE });
    sinks.push(sink);
    await sink.prepare();
    expect(await primaryKey('keyed_dws')).toBe('keyed_dws_pkey: PRIMARY KEY (id)');
  });
});

describe('the type mapping of a table created from another engine', () => {
  const col = (name: string, type: Column['type'], extra: Partial<Column> = {}): Column => ({ name, type, nullable: true, ...extra });
  const cases: [Column, string][] = [
    [col('tiny', 'integer', { precision: 8 }), 'smallint'],
    [col('int32', 'integer', { precision: 32 }), 'integer'],
    [col('int64', 'integer'), 'bigint'],
    [col('uint64', 'integer', { precision: 65 }), 'numeric(20,0)'],
    [col('money', 'decimal', { precision: 12, scale: 2 }), 'numeric(12,2)'],
    [col('anynum', 'decimal'), 'numeric'],
    [col('sqlitenum', 'decimal', { nativeType: 'DECIMAL(12, 2)' }), 'numeric(12,2)'],
    [col('single', 'float', { precision: 24 }), 'real'],
    [col('double', 'float', { precision: 53 }), 'double precision'],
    [col('flag', 'boolean'), 'boolean'],
    [col('short', 'string', { length: 10 }), 'character varying(10)'],
    [col('long', 'string'), 'text'],
    [col('blob', 'bytes', { length: 16 }), 'bytea'],
    [col('day', 'date'), 'date'],
    [col('clock', 'time', { scale: 3 }), 'time(3) without time zone'],
    [col('stamp', 'timestamp', { scale: 0 }), 'timestamp(0) without time zone'],
    [col('stamp6', 'timestamp'), 'timestamp(6) without time zone'],
    [col('instant', 'timestamptz', { scale: 6 }), 'timestamp(6) with time zone'],
    [col('doc', 'json'), 'json'],
  ];
  let declared: Record<string, string>;
  beforeAll(async () => {
    const schema: TableSchema = { engine: 'mysql', columns: cases.map(([c]) => ({ nativeType: 'NOT A PG TYPE', ...c })), primaryKey: [] };
    const sink = await openSink({ 'toJobConfig.tableName': 'mapped', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' }, schema);
    await sink.prepare();
    const rows = await db.query(`SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'mapped'::regclass AND attnum > 0`);
    declared = Object.fromEntries(rows.map((r) => [r.attname, r.type]));
  });
  it.each(cases)('%o → %s', (c, type) => {
    expect(declared[c.name]).toBe(type);
  });
});

describe('beforeImportType', () => {
  const seed = async (table: string) => {
    await db.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, qty int);
      INSERT INTO ${table} VALUES (1, 'old', 1), (2, 'old', 2), (3, 'old', 3)`);
  };
  it.each<[string, InputMap, string[]]>([
    ['none appends', { 'toJobConfig.beforeImportType': 'none' }, ['1', '2', '3', '10']],
    ['shouldClearTable clears every row', { 'toJobConfig.beforeImportType': 'shouldClearTable' }, ['10']],
    ['the shouldClearTable input alone clears too', { 'toJobConfig.shouldClearTable': 'true' }, ['10']],
    ['whereClause deletes only the matching rows', { 'toJobConfig.beforeImportType': 'whereClause', 'toJobConfig.whereClause': 'qty >= 2' }, ['1', '10']],
  ])('%s', async (_story, inputs, ids) => {
    await seed('cleared');
    await load({ 'toJobConfig.tableName': 'cleared', ...inputs }, [[10n, 'new', null]]);
    expect((await dump('cleared')).map((r) => r[0])).toEqual(ids);
  });
});

describe('columns and conflicts', () => {
  const seed = async () => {
    await db.query(`DROP TABLE IF EXISTS stock; CREATE TABLE stock (id bigint PRIMARY KEY, name text NOT NULL, qty int, note text DEFAULT 'default note');
      INSERT INTO stock VALUES (1, 'ann', 1, 'kept'), (2, 'bob', 2, 'kept')`);
  };

  it('maps columnList to the destination by position, whatever the names', async () => {
    await db.query('CREATE TABLE renamed (k bigint PRIMARY KEY, label text, amount int, extra text)');
    await load({ 'toJobConfig.tableName': 'renamed', 'toJobConfig.columnList': 'k&label&amount' }, [[1n, 'ann', 5n]]);
    expect(await dump('renamed')).toEqual([['1', 'ann', '5', null]]);
  });

  it('a columnList of another length than the source is Cdm.0014', async () => {
    await expect(openSink({ 'toJobConfig.tableName': 'renamed', 'toJobConfig.columnList': 'k&label' })).rejects.toMatchObject({ code: 'Cdm.0014' });
  });

  it('INSERT: a duplicate key fails the chunk with Cdm.0232 and writes nothing of it, checkpoint included', async () => {
    await seed();
    const sink = await openSink({ 'toJobConfig.tableName': 'stock', 'toJobConfig.columnList': 'id&name&qty' });
    await sink.checkpoint();
    await expect(sink.write(batch([[3n, 'cat', 3n], [1n, 'dup', 9n]]), cp(2))).rejects.toMatchObject({ code: 'Cdm.0232' });
    expect(await dump('stock')).toEqual([['1', 'ann', '1', 'kept'], ['2', 'bob', '2', 'kept']]);
    expect(await sink.checkpoint()).toBeUndefined();
  });

  it('REPLACE replaces the whole row: columns not written go back to their defaults; within a chunk the last row wins', async () => {
    await seed();
    await load({ 'toJobConfig.tableName': 'stock', 'toJobConfig.columnList': 'id&name&qty', 'toJobConfig.onConflict': 'REPLACE' }, [
      [1n, 'ann2', 10n],
      [3n, 'cat', 3n],
      [3n, 'cat2', 30n],
    ]);
    expect(await dump('stock')).toEqual([['1', 'ann2', '10', 'default note'], ['2', 'bob', '2', 'kept'], ['3', 'cat2', '30', 'default note']]);
  });

  it('UPDATE updates the written columns only', async () => {
    await seed();
    await load({ 'toJobConfig.tableName': 'stock', 'toJobConfig.columnList': 'id&name&qty', 'toJobConfig.onConflict': 'UPDATE' }, [
      [2n, 'bob2', null],
      [4n, 'dan', 4n],
    ]);
    expect(await dump('stock')).toEqual([['1', 'ann', '1', 'kept'], ['2', 'bob2', null, 'kept'], ['4', 'dan', '4', 'default note']]);
  });

  it('REPLACE on a table without a primary key is Cdm.0014', async () => {
    await db.query('CREATE TABLE keyless (id bigint, name text, qty int)');
    const sink = await openSink({ 'toJobConfig.tableName': 'keyless', 'toJobConfig.onConflict': 'REPLACE' });
    await sink.checkpoint();
    await expect(sink.write(batch([[1n, 'a', 1n]]), cp(1))).rejects.toMatchObject({ code: 'Cdm.0014' });
  });

  it('an unknown onConflict value is Cdm.0014', async () => {
    await expect(openSink({ 'toJobConfig.tableName': 'stock', 'toJobConfig.onConflict': 'MERGE' })).rejects.toMatchObject({ code: 'Cdm.0014' });
  });

  it('writes a large chunk with awkward text through COPY intact', async () => {
    const rows: Value[][] = Array.from({ length: 20_000 }, (_, i) => [BigInt(i), `line\n${i}\ttab\\ \\N 😀 ${'x'.repeat(i % 50)}`, i % 9 ? BigInt(i) : null]);
    const text = { ...PEOPLE, columns: PEOPLE.columns.map((c) => (c.name === 'name' ? { ...c, length: undefined } : c)) };
    await load({ 'toJobConfig.tableName': 'bulk', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' }, rows, text);
    const [counts] = await db.query(`SELECT count(*) AS count,
      count(*) FILTER (WHERE name <> 'line' || chr(10) || id || chr(9) || 'tab\\ \\N 😀 ' || repeat('x', (id % 50)::int)) AS different,
      count(*) FILTER (WHERE qty IS NULL) AS nulls FROM bulk`);
    expect(counts).toEqual({ count: '20000', different: '0', nulls: String(Math.ceil(20_000 / 9)) });
  });
});

describe('exactly once', () => {
  const to = { 'toJobConfig.tableName': 'once', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' };

  it('checkpoint() returns what committed with the data; finish() removes the run', async () => {
    const sink = await openSink(to, PEOPLE, 10);
    await sink.prepare();
    expect(await sink.checkpoint()).toBeUndefined();
    await sink.write(batch([[1n, 'a', 1n]], 1), cp(1));
    await sink.write(batch([[2n, 'b', 2n]], 2), cp(2));
    const reopened = await openSink(to, PEOPLE, 10);
    expect(await reopened.checkpoint()).toEqual(cp(2));
    await reopened.finish();
    expect(await reopened.checkpoint()).toBeUndefined();
    expect(await dump('once')).toEqual([['1', 'a', '1'], ['2', 'b', '2']]);
  });

  it.each([
    ['the first chunk', 0],
    ['a later chunk', 2],
  ])('a stale writer of %s gets CheckpointConflictError and writes nothing', async (_story, before) => {
    const run = 20 + before;
    const base = 100 * run;
    const first = await openSink(to, PEOPLE, run);
    await first.checkpoint();
    for (let i = 1; i <= before; i++) await first.write(batch([[BigInt(base + i), 'first', null]], i), cp(i));
    // Both executors now believe they own the run at the same checkpoint.
    const stale = await openSink(to, PEOPLE, run);
    const winner = await openSink(to, PEOPLE, run);
    await stale.checkpoint();
    await winner.checkpoint();
    await winner.write(batch([[BigInt(base + 50), 'winner', null]], before + 1), cp(before + 1));
    const error = await stale.write(batch([[BigInt(base + 60), 'stale', null]], before + 1), cp(before + 1)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(CheckpointConflictError);
    expect((await db.query(`SELECT name FROM once WHERE id BETWEEN ${base} AND ${base + 99} ORDER BY id`)).map((r) => r.name)).toEqual([
      ...Array<string>(before).fill('first'),
      'winner',
    ]);
    expect(await first.checkpoint()).toEqual(cp(before + 1));
  });
});
