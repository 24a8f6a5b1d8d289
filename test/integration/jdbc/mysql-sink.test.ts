// Writing into MySQL/MariaDB: table preparation, clearing before import, conflict
// handling, column mapping, and exactly-once chunks under a racing executor.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectMysql } from '../../../lib/connectors/jdbc/mysql/mysql-connection';
import { mysqlDialect } from '../../../lib/connectors/jdbc/mysql/mysql-dialect';
import { loadStatement, loadStream } from '../../../lib/connectors/jdbc/mysql/mysql-load';
import { CheckpointConflictError, type Checkpoint, type RecordBatch, type Sink, type TableSchema, type Value } from '../../../lib/engine/types';
import type { InputMap } from '../../../lib/model/config-values';
import { createTestDatabase, runKey, type TestDatabase } from '../../support/mysql';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('mysql_sink');
});
afterAll(() => db?.drop());

/** What a MySQL source with `id INT PRIMARY KEY, name VARCHAR(20) NOT NULL` yields. */
const people: TableSchema = {
  engine: 'mysql',
  columns: [
    { name: 'id', type: 'integer', nullable: false, nativeType: 'int(11)', precision: 32 },
    { name: 'name', type: 'string', nullable: false, nativeType: 'varchar(20)', length: 20 },
  ],
  primaryKey: ['id'],
};

const batch = (rows: Value[][]): RecordBatch => ({ rows, position: { key: [{ $int: String(rows.at(-1)![0]) }] }, bytes: 10 * rows.length });
const cp = (rows: number, last: number): Checkpoint => ({
  position: { key: [{ $int: String(last) }] },
  rowsRead: rows,
  rowsWritten: rows,
  bytesRead: 10 * rows,
});

let job = 0;
async function openSink(to: InputMap, schema: TableSchema = people, run = runKey(`job${++job}`)): Promise<Sink> {
  return mysqlDialect.openSink({ link: db.link(), to: { 'toJobConfig.tableName': 'people', ...to }, run, schema });
}

const content = (table = 'people') => db.query(`SELECT * FROM \`${table}\` ORDER BY 1`);

async function givenPeople(...rows: [number, string][]) {
  await db.query('DROP TABLE IF EXISTS people');
  await db.query("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, note VARCHAR(20) NOT NULL DEFAULT 'default')");
  for (const [id, name] of rows) await db.query("INSERT INTO people VALUES (?, ?, 'kept')", [id, name]);
}

async function expectCdmError(p: Promise<unknown>, code: string, text?: string | RegExp) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err as { code?: string; message: string },
  );
  expect(e, 'expected a failure').toBeDefined();
  expect(e!.code, e!.message).toBe(code);
  if (text) expect(e!.message).toMatch(text);
}

describe('tablePreparation', () => {
  beforeEach(() => db.query('DROP TABLE IF EXISTS people'));

  it('DO_NOTHING on a missing table fails with Cdm.0900 naming it', async () => {
    const sink = await openSink({ 'toJobConfig.tablePreparation': 'DO_NOTHING' });
    await expectCdmError(sink.prepare(), 'Cdm.0900', `Destination table ${db.name}.people on MySQL at 127.0.0.1:3306 does not exist`);
    await sink.close();
  });

  it('DO_NOTHING keeps an existing table, its definition and its rows', async () => {
    await givenPeople([1, 'ann']);
    const sink = await openSink({ 'toJobConfig.tablePreparation': 'DO_NOTHING', 'toJobConfig.columnList': 'id&name' });
    await sink.prepare();
    await sink.write(batch([[2n, 'bob']]), cp(1, 2));
    await sink.close();
    expect(await content()).toEqual([
      [1, 'ann', 'kept'],
      [2, 'bob', 'default'],
    ]);
  });

  it('CREATE_WHEN_NOT_EXIST creates the table from the source schema, keeping the primary key and NOT NULL', async () => {
    const sink = await openSink({ 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' });
    await sink.prepare();
    await sink.close();
    const cols = await db.query(
      `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'people' ORDER BY ORDINAL_POSITION`,
    );
    expect(cols).toEqual([
      ['id', 'int(11)', 'NO', 'PRI'],
      ['name', 'varchar(20)', 'NO', ''],
    ]);
  });

  it('CREATE_WHEN_NOT_EXIST leaves an existing table and its rows alone', async () => {
    await givenPeople([1, 'ann']);
    const sink = await openSink({ 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST', 'toJobConfig.columnList': 'id&name' });
    await sink.prepare();
    await sink.close();
    expect(await content()).toEqual([[1, 'ann', 'kept']]);
  });

  it('DROP_AND_CREATE replaces an existing table with one made from the source schema', async () => {
    await givenPeople([1, 'ann']);
    const sink = await openSink({ 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' });
    await sink.prepare();
    await sink.write(batch([[5n, 'eve']]), cp(1, 5));
    await sink.close();
    expect(await content()).toEqual([[5, 'eve']]);
  });

  it('a table created from a PostgreSQL schema gets the documented MySQL types and its composite primary key', async () => {
    const pg: TableSchema = {
      engine: 'postgresql',
      columns: [
        { name: 'tenant', type: 'string', nullable: false, nativeType: 'text' },
        { name: 'id', type: 'integer', nullable: false, nativeType: 'int8', precision: 64 },
        { name: 'amount', type: 'decimal', nullable: true, nativeType: 'numeric(12,2)', precision: 12, scale: 2 },
        { name: 'at', type: 'timestamptz', nullable: true, nativeType: 'timestamptz', scale: 6 },
        { name: 'doc', type: 'json', nullable: true, nativeType: 'jsonb' },
        { name: 'ok', type: 'boolean', nullable: true, nativeType: 'bool' },
      ],
      primaryKey: ['tenant', 'id'],
    };
    const sink = await openSink({ 'toJobConfig.tableName': 'from_pg', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' }, pg);
    await sink.prepare();
    await sink.write(
      { rows: [['t1', 1n, '12.50', '2024-06-30T20:00:00.5+08:00', '{"a":1}', true]], position: {}, bytes: 1 },
      { position: {}, rowsRead: 1, rowsWritten: 1, bytesRead: 1 },
    );
    await sink.close();
    const cols = await db.query(
      `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'from_pg' ORDER BY ORDINAL_POSITION`,
    );
    // MariaDB spells JSON as LONGTEXT (with a json_valid check) and BOOLEAN as TINYINT(1).
    expect(cols.map((c) => c.join(' '))).toEqual([
      'tenant varchar PRI',
      'id bigint PRI',
      'amount decimal ',
      'at datetime ',
      expect.stringMatching(/^doc (json|longtext) $/),
      'ok tinyint ',
    ]);
    // timestamptz lands as its UTC wall time.
    expect(await content('from_pg')).toEqual([['t1', '1', '12.50', '2024-06-30 12:00:00.500000', '{"a":1}', 1]]);
  });
});

describe('beforeImportType', () => {
  beforeEach(() => givenPeople([1, 'ann'], [2, 'bob'], [3, 'cy']));
  const names = async () => (await content()).map((r) => r[1]);

  it.each<[string, InputMap, string[]]>([
    ['none appends', { 'toJobConfig.beforeImportType': 'none' }, ['ann', 'bob', 'cy', 'dan']],
    ['shouldClearTable deletes every row first', { 'toJobConfig.beforeImportType': 'shouldClearTable' }, ['dan']],
    ['the shouldClearTable boolean deletes every row first', { 'toJobConfig.shouldClearTable': 'true' }, ['dan']],
    [
      'whereClause deletes only the matching rows first',
      { 'toJobConfig.beforeImportType': 'whereClause', 'toJobConfig.whereClause': "`name` IN ('ann', 'cy')" },
      ['bob', 'dan'],
    ],
  ])('%s', async (_what, to, expected) => {
    const sink = await openSink({ 'toJobConfig.columnList': 'id&name', ...to });
    await sink.prepare();
    await sink.write(batch([[4n, 'dan']]), cp(1, 4));
    await sink.close();
    expect(await names()).toEqual(expected);
  });
});

describe('conflict handling on a primary key', () => {
  beforeEach(() => givenPeople([1, 'ann'], [2, 'bob']));
  const chunk = batch([
    [2n, 'BOB'],
    [3n, 'cy'],
  ]);

  it('INSERT (the default) fails the chunk on an existing key and writes none of it', async () => {
    const sink = await openSink({ 'toJobConfig.columnList': 'id&name' });
    await sink.prepare();
    await expectCdmError(sink.write(chunk, cp(2, 3)), 'Cdm.0232', /Duplicate entry '2'/);
    expect(await sink.checkpoint()).toBeUndefined();
    await sink.close();
    expect(await content()).toEqual([
      [1, 'ann', 'kept'],
      [2, 'bob', 'kept'],
    ]);
  });

  it('REPLACE replaces the whole existing row (columns not written go back to their defaults)', async () => {
    const sink = await openSink({ 'toJobConfig.columnList': 'id&name', 'toJobConfig.onConflict': 'REPLACE' });
    await sink.write(chunk, cp(2, 3));
    await sink.close();
    expect(await content()).toEqual([
      [1, 'ann', 'kept'],
      [2, 'BOB', 'default'],
      [3, 'cy', 'default'],
    ]);
  });

  it('UPDATE updates the written columns of the existing row and keeps the others', async () => {
    const sink = await openSink({ 'toJobConfig.columnList': 'id&name', 'toJobConfig.onConflict': 'UPDATE' });
    await sink.write(chunk, cp(2, 3));
    await sink.close();
    expect(await content()).toEqual([
      [1, 'ann', 'kept'],
      [2, 'BOB', 'kept'],
      [3, 'cy', 'default'],
    ]);
  });

  it('an unknown mode is refused with Cdm.0014', async () => {
    await expectCdmError(openSink({ 'toJobConfig.onConflict': 'MERGE' }), 'Cdm.0014', /onConflict/);
  });
});

describe('columnList', () => {
  it('maps source columns to destination columns by position', async () => {
    await db.query('DROP TABLE IF EXISTS swapped');
    await db.query('CREATE TABLE swapped (label VARCHAR(20), num INT PRIMARY KEY)');
    const sink = await openSink({ 'toJobConfig.tableName': 'swapped', 'toJobConfig.columnList': 'num&label' });
    await sink.write(batch([[7n, 'seven']]), cp(1, 7));
    await sink.close();
    expect(await content('swapped')).toEqual([['seven', 7]]);
  });

  it('a list whose length differs from the source’s columns is refused with Cdm.0014', async () => {
    await expectCdmError(openSink({ 'toJobConfig.columnList': 'id' }), 'Cdm.0014', /mapped by position/);
  });
});

describe('exactly-once chunks', () => {
  beforeEach(() => givenPeople());

  it('checkpoint() returns what was committed with the last chunk; finish() removes only this run’s', async () => {
    const other = await openSink({ 'toJobConfig.columnList': 'id&name' }, people, runKey('other'));
    await other.write(batch([[100n, 'zed']]), cp(1, 100));
    const run = runKey('mine', 7);
    const sink = await openSink({ 'toJobConfig.columnList': 'id&name' }, people, run);
    expect(await sink.checkpoint()).toBeUndefined();
    await sink.write(batch([[1n, 'ann']]), cp(1, 1));
    await sink.write(batch([[2n, 'bob']]), cp(2, 2));
    await sink.close();

    const reopened = await openSink({ 'toJobConfig.columnList': 'id&name' }, people, run);
    expect(await reopened.checkpoint()).toEqual(cp(2, 2));
    await reopened.finish();
    expect(await reopened.checkpoint()).toBeUndefined();
    expect(await other.checkpoint()).toEqual(cp(1, 100));
    await Promise.all([reopened.close(), other.close()]);
    const left = await db.query("SELECT `run` FROM `__ferry_checkpoint` WHERE `run` IN ('p1/c1/mine/7/0', 'p1/c1/other/1/0')");
    expect(left).toEqual([['p1/c1/other/1/0']]);
  });

  it.each([
    ['its first chunk', 0],
    ['a later chunk', 2],
  ])('a stale writer of %s gets CheckpointConflictError and writes nothing', async (_what, before) => {
    const run = runKey(`race${before}`);
    const to = { 'toJobConfig.columnList': 'id&name' };
    const first = await openSink(to, people, run);
    for (let i = 1; i <= before; i++) await first.write(batch([[BigInt(i), `row${i}`]]), cp(i, i));
    // Both executors resume from the same checkpoint; the second one to write has lost the run.
    const stale = await openSink(to, people, run);
    expect(await stale.checkpoint()).toEqual(before ? cp(before, before) : undefined);
    await first.write(batch([[10n, 'winner']]), cp(before + 1, 10));
    await expect(stale.write(batch([[20n, 'stale'], [21n, 'stale']]), cp(before + 2, 21))).rejects.toBeInstanceOf(
      CheckpointConflictError,
    );
    expect(await stale.checkpoint()).toEqual(cp(before + 1, 10));
    await Promise.all([first.close(), stale.close()]);
    expect((await content()).map((r) => r[1])).not.toContain('stale');
    expect(await content()).toHaveLength(before + 1);
  });

  // UPDATE writes by INSERT … ON DUPLICATE KEY UPDATE, the others by LOAD DATA LOCAL INFILE.
  it.each(['INSERT', 'UPDATE'])('a chunk larger than max_allowed_packet is written whole in its one transaction (%s)', async (onConflict) => {
    await db.query('DROP TABLE IF EXISTS docs');
    await db.query('CREATE TABLE docs (id INT PRIMARY KEY, body LONGTEXT NOT NULL)');
    const packet = (await db.query('SELECT @@max_allowed_packet'))[0]![0];
    const rowBytes = 1024 * 1024;
    const n = Math.ceil(Number(packet) / rowBytes) + 4;
    const schema: TableSchema = {
      engine: 'mysql',
      columns: [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'body', type: 'string', nullable: false },
      ],
      primaryKey: ['id'],
    };
    const sink = await openSink({ 'toJobConfig.tableName': 'docs', 'toJobConfig.onConflict': onConflict }, schema);
    const rows = Array.from({ length: n }, (_, i): Value[] => [BigInt(i), `${i}'\\`.padEnd(rowBytes, 'x')]);
    await sink.write(batch(rows), cp(n, n - 1));
    await sink.close();
    expect(await db.query("SELECT COUNT(*), SUM(LENGTH(body)), SUM(body LIKE '%''\\\\\\\\x%') FROM docs")).toEqual([
      [String(n), String(n * rowBytes), String(n)],
    ]);
  });
});

describe('LOAD DATA LOCAL INFILE', () => {
  const kinds: TableSchema = {
    engine: 'postgresql',
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 's', type: 'string', nullable: true },
      { name: 'b', type: 'bytes', nullable: true },
      { name: 'f', type: 'float', nullable: true },
      { name: 'd', type: 'decimal', nullable: true, precision: 30, scale: 10 },
      { name: 't', type: 'boolean', nullable: true },
      { name: 'tz', type: 'timestamptz', nullable: true },
      { name: 'u', type: 'integer', nullable: true },
    ],
    primaryKey: ['id'],
  };
  const rows: Value[][] = [
    [1n, 'tab\there\nnew\r\\back\0nul', Buffer.from([0, 9, 10, 92, 255]), 5e-324, '-12345678901234567890.0123456789', true, '2024-02-29T23:59:59.999999+05:30', 9223372036854775807n],
    [2n, '\\N', Buffer.alloc(0), -1.7976931348623157e308, '0.0000000001', false, '1970-01-01T00:00:00+00:00', -9223372036854775808n],
    [3n, 'NULL', Buffer.from('\\N'), 0.1, '1', null, '2038-01-19T03:14:08.5Z', 1n],
    [4n, '😀 中文 𝄞 \u00a0 \u001a', null, null, null, null, null, null],
    [5n, '', Buffer.from('\t'), 1e21, '-0', true, '1969-12-31T23:59:59.000001-00:00', 9007199254740993n],
    [6n, null, null, null, null, null, null, null],
  ];
  const stored = (table: string) =>
    db.query(`SELECT id, HEX(s), s IS NULL, HEX(b), b IS NULL, f, d, t, tz, u FROM \`${table}\` ORDER BY id`);

  it('stores every value exactly as the INSERTs do', async () => {
    for (const [table, onConflict] of [['kinds_load', 'INSERT'], ['kinds_insert', 'UPDATE']]) {
      await db.query(`DROP TABLE IF EXISTS \`${table}\``);
      const sink = await openSink({ 'toJobConfig.tableName': table!, 'toJobConfig.onConflict': onConflict!, 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' }, kinds);
      await sink.prepare();
      await sink.write(batch(rows), cp(rows.length, 6));
      await sink.close();
    }
    // The text itself, without the sink's fallback to INSERTs on a warning.
    await db.query('DROP TABLE IF EXISTS kinds_direct; CREATE TABLE kinds_direct LIKE kinds_insert');
    const conn = await connectMysql(db.link());
    const sql = loadStatement('kinds_direct', kinds.columns.map((c) => c.name), kinds.columns.map((c) => c.type), false);
    const [result] = await conn.query({ sql, infileStreamFactory: () => loadStream(rows, kinds.columns.map((c) => c.type)) });
    await conn.end();
    expect(result).toMatchObject({ affectedRows: rows.length, warningStatus: 0 });
    const loaded = await stored('kinds_load');
    expect(loaded).toEqual(await stored('kinds_insert'));
    expect(await stored('kinds_direct')).toEqual(loaded);
    expect(loaded[1]).toEqual(['2', '5C4E', 0, '', 0, -1.7976931348623157e308, '0.0000000001', 0, '1970-01-01 00:00:00.000000', '-9223372036854775808']);
    expect(loaded[5]).toEqual(['6', null, 1, null, 1, null, null, null, null, null]);
  });

  it('a chunk the server warns about is redone by INSERTs: a duplicate key fails it whole, nothing kept', async () => {
    await givenPeople([2, 'bob']);
    const sink = await openSink({ 'toJobConfig.columnList': 'id&name' });
    await expectCdmError(sink.write(batch([[1n, 'ann'], [2n, 'BOB'], [3n, 'cy']]), cp(3, 3)), 'Cdm.0232', /Duplicate entry '2'/);
    await sink.write(batch([[4n, 'dee']]), cp(1, 4));
    await sink.close();
    expect(await content()).toEqual([
      [2, 'bob', 'kept'],
      [4, 'dee', 'default'],
    ]);
  });
});

describe('connection failures', () => {
  const to = { 'toJobConfig.tableName': 'people' };

  it('an unreachable server is Cdm.0901 naming host:port, never the password', async () => {
    const link = db.link({ 'linkConfig.port': '1', 'linkConfig.password': 's3cret-pw' });
    await expectCdmError(mysqlDialect.openSink({ link, to, run: runKey('x'), schema: people }), 'Cdm.0901', '127.0.0.1:1');
    const e = await mysqlDialect.openSource({ link, from: { 'fromJobConfig.tableName': 'people' }, run: runKey('x') }).catch((err) => err);
    expect(e.code).toBe('Cdm.0901');
    expect(e.message).toContain('127.0.0.1:1');
    expect(JSON.stringify({ message: e.message, cause: String(e.cause) })).not.toContain('s3cret-pw');
  });

  it('a wrong password is Cdm.0901 naming host:port, never the password', async () => {
    const link = db.link({ 'linkConfig.username': 'ferry_nobody', 'linkConfig.password': 's3cret-pw' });
    const e = await mysqlDialect.openSink({ link, to, run: runKey('x'), schema: people }).catch((err) => err);
    expect(e.code).toBe('Cdm.0901');
    expect(e.message).toContain('127.0.0.1:3306');
    expect(e.message).toMatch(/Access denied/);
    expect(e.message).not.toContain('s3cret-pw');
  });
});
