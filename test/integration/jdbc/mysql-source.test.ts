// Reading from MySQL/MariaDB: keyset pages that resume without losing or repeating a
// row, tables without a key, quoted names, and the CDM source options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlDialect } from '../../../lib/connectors/jdbc/mysql/mysql-dialect';
import type { CsvEncoding, RecordBatch, RowEncoding, Source, Value } from '../../../lib/engine/types';
import type { InputMap } from '../../../lib/model/config-values';
import { connectAdmin, createTestDatabase, pump, readAll, rowsOf, runKey, type TestDatabase } from '../../support/mysql';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('mysql_source');
  // A composite key whose second part is a BIGINT UNSIGNED beyond 2^53: neighbours differ by 1.
  await db.query(`CREATE TABLE ledger (region VARCHAR(10) NOT NULL, seq BIGINT UNSIGNED NOT NULL, amount DECIMAL(10,2),
    PRIMARY KEY (region, seq))`);
  const values: string[] = [];
  for (const region of ['eu', 'EU-west', 'us'])
    for (let i = 0; i < 150; i++) values.push(`('${region}', ${18446744073709551000n + BigInt(i)}, ${i}.25)`);
  await db.query(`INSERT INTO ledger VALUES ${values.join(', ')}`);
  // No key at all, with duplicate rows and NULLs.
  await db.query('CREATE TABLE heap (a INT, b VARCHAR(10), c BLOB)');
  const heap = Array.from({ length: 100 }, (_, i) => `(${i % 7}, ${i % 3 === 0 ? 'NULL' : `'b${i % 5}'`}, X'000${i % 2}')`);
  await db.query(`INSERT INTO heap VALUES ${heap.join(', ')}`);
});
afterAll(() => db?.drop());

function open(from: InputMap, link: InputMap = {}): Promise<Source> {
  return mysqlDialect.openSource({ link: db.link(link), from, run: runKey('read') });
}

const all = async (from: InputMap, chunkRows = 1000) => {
  const source = await open(from);
  const rows = rowsOf(await readAll(source, chunkRows));
  await source.close();
  return rows;
};

const sortKey = (r: Value[]) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v?.type === 'Buffer' ? v.data : v));

describe('keyset pagination on the primary key', () => {
  it('yields every row once, in key order, in batches of at most chunkRows, with the last key as position', async () => {
    const source = await open({ 'fromJobConfig.tableName': 'ledger' });
    expect(source.schema.primaryKey).toEqual(['region', 'seq']);
    expect(await source.estimateRows()).toBe(450);
    const batches = await readAll(source, 64);
    await source.close();
    expect(batches.map((b) => b.rows.length)).toEqual([64, 64, 64, 64, 64, 64, 64, 2]);
    const rows = rowsOf(batches);
    const expected = await db.query('SELECT region, seq, amount FROM ledger ORDER BY region, seq');
    expect(rows).toEqual(expected.map(([r, s, a]) => [r, BigInt(s), a]));
    const last = batches[0]!.rows.at(-1)!;
    expect(batches[0]!.position).toEqual({ key: [last[0], { $int: String(last[1]) }] });
  });

  it('resumed from any batch’s position (as stored in JSON), it yields exactly the rows after it', async () => {
    const source = await open({ 'fromJobConfig.tableName': 'ledger' });
    const batches = await readAll(source, 64);
    const everything = rowsOf(batches);
    for (const [i, b] of batches.entries()) {
      const stored = JSON.parse(JSON.stringify(b.position));
      const rest = rowsOf(await readAll(source, 50, stored));
      expect(rest, `after batch ${i}`).toEqual(everything.slice(64 * (i + 1)));
    }
    await source.close();
  });

  it('a copy interrupted after some chunks resumes from the destination’s checkpoint with no row lost or repeated', async () => {
    await db.query('CREATE TABLE ledger_copy LIKE ledger');
    const to = { 'toJobConfig.tableName': 'ledger_copy' };
    const run = runKey('interrupted');
    const source = await open({ 'fromJobConfig.tableName': 'ledger' });
    // First executor: two chunks, then it dies.
    const first = await mysqlDialect.openSink({ link: db.link(), to, run, schema: source.schema });
    let n = 0;
    let cp = { position: {}, rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
    for await (const batch of source.read(undefined, 100)) {
      cp = { position: batch.position, rowsRead: cp.rowsRead + 100, rowsWritten: cp.rowsWritten + 100, bytesRead: 0 };
      await first.write(batch, cp);
      if (++n === 2) break;
    }
    await first.close();
    // Second executor: resumes from the sink's checkpoint.
    const second = await mysqlDialect.openSink({ link: db.link(), to, run, schema: source.schema });
    expect((await second.checkpoint())?.rowsWritten).toBe(200);
    await pump(source, second, 100);
    await Promise.all([second.close(), source.close()]);
    expect(await db.query('SELECT * FROM ledger_copy ORDER BY region, seq')).toEqual(
      await db.query('SELECT * FROM ledger ORDER BY region, seq'),
    );
  });
});

describe('a table without a primary key', () => {
  it('streams every row in a deterministic order, and resumes after a position without loss or repetition', async () => {
    const source = await open({ 'fromJobConfig.tableName': 'heap' });
    expect(source.schema.primaryKey).toEqual([]);
    const batches = await readAll(source, 30);
    expect(batches.map((b) => b.rows.length)).toEqual([30, 30, 30, 10]);
    const rows = rowsOf(batches);
    expect(rowsOf(await readAll(source, 30))).toEqual(rows);
    const expected = await db.query('SELECT a, b, c FROM heap');
    expect(rows.map(sortKey).sort()).toEqual(expected.map(([a, b, c]) => [BigInt(a), b, c]).map(sortKey).sort());
    const stored = JSON.parse(JSON.stringify(batches[1]!.position));
    expect(rowsOf(await readAll(source, 25, stored))).toEqual(rows.slice(60));
    await source.close();
  });

  it('rows differing only beyond the server’s 1024-byte sort prefix (TEXT, BLOB, JSON) still resume exactly', async () => {
    await db.query('CREATE TABLE long_heap (doc LONGTEXT, bin LONGBLOB, j JSON)');
    const prefix = 'p'.repeat(3000);
    for (let i = 0; i < 12; i++) {
      const v = `${prefix}${i % 5}`;
      await db.query('INSERT INTO long_heap VALUES (?, ?, ?)', [v, Buffer.from(v), JSON.stringify({ v })]);
    }
    const source = await open({ 'fromJobConfig.tableName': 'long_heap' });
    const rows = rowsOf(await readAll(source, 5));
    expect(rows).toHaveLength(12);
    for (let skip = 1; skip < 12; skip++) {
      expect(rowsOf(await readAll(source, 5, { offset: skip }))).toEqual(rows.slice(skip));
    }
    await source.close();
  });

  it('can be closed in the middle of a stream and read again', async () => {
    const source = await open({ 'fromJobConfig.tableName': 'heap' });
    for await (const _ of source.read(undefined, 10)) break;
    await source.close();
    expect(await all({ 'fromJobConfig.tableName': 'heap' })).toHaveLength(100);
  });
});

describe('pages of wide rows', () => {
  // 10 KB a row: 1,000 rows (fetchSize) would be 10 MB of data, ~100 MB once read into values.
  beforeAll(async () => {
    await db.query('CREATE TABLE wide (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB');
    const rows = Array.from({ length: 1500 }, (_, i) => `(${i + 1}, REPEAT('${String.fromCharCode(65 + ((i + 1) % 26))}', 10000))`);
    await db.query(`INSERT INTO wide VALUES ${rows.join(', ')}`);
    await db.query('CREATE TABLE wide_heap AS SELECT * FROM wide');
  });
  const every = Array.from({ length: 1500 }, (_v, i) => i + 1);
  const ids = (batches: readonly RecordBatch[]) => rowsOf(batches).map((r) => Number(r[0]));
  const byNumber = (a: number, b: number) => a - b;

  it.each([
    ['keyset pages of a table with a key', { 'fromJobConfig.tableName': 'wide' }],
    ['the stream of a table without a key', { 'fromJobConfig.tableName': 'wide_heap' }],
    ['the stream of a useSql query', { 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELECT id, body FROM wide' }],
  ])('read as values, %s hold about a megabyte each after the first; every row arrives once, and once after a resume', async (_how, from) => {
    const source = await open(from);
    const batches = await readAll(source, 1000);
    const sizes = batches.map((b) => b.rows.length);
    // The first page is fetchSize rows; the next ones as many as fit the budget (1.25 MiB of ~10 KB rows).
    expect(sizes[0]).toBe(1000);
    expect(sizes.slice(1).every((n) => n <= 131)).toBe(true);
    expect(ids(batches).sort(byNumber)).toEqual(every);
    // Resumed mid-way (after two narrow pages, as stored in JSON): the rest, none lost or repeated.
    const stored = JSON.parse(JSON.stringify(batches[2]!.position));
    const rest = await readAll(source, 1000, stored);
    await source.close();
    expect([...ids(batches.slice(0, 3)), ...ids(rest)].sort(byNumber)).toEqual(every);
  });

  it.each([
    ['COPY lines', 'pg-copy' as const],
    ['CSV lines', { format: 'csv', columns: [0, 1], fieldSeparator: ',', lineSeparator: '\n', quote: false } satisfies CsvEncoding],
  ])('read as %s the server formats (compact buffers, not values), keep their own page sizes', async (_how, encoding) => {
    const source = await open({ 'fromJobConfig.tableName': 'wide' });
    const batches: RecordBatch[] = [];
    for await (const b of source.read(undefined, 1000, { encoding })) batches.push(b);
    await source.close();
    const sizes = batches.map((b) => b.lines?.count ?? b.rows.length);
    // COPY pages are fetchSize rows; CSV pages joined by the server also narrow to fit group_concat_max_len (see csvPages).
    expect(sizes).toEqual(encoding === 'pg-copy' ? [1000, 500] : [500, 1000]);
    const lines = batches.flatMap((b) => (b.lines ? b.lines.bytes.toString().split('\n').slice(0, -1) : b.rows.map((r) => String(r[0]))));
    expect(lines.map((l) => Number(/^\d+/.exec(l)![0])).sort(byNumber)).toEqual(every);
  });
});

describe('quoted identifiers', () => {
  it('reads `default`.`order` with reserved-word and odd column names, and writes it back', async () => {
    // One database named `default` on the shared server: a lock keeps concurrent test runs apart.
    const admin = await connectAdmin();
    try {
      await admin.query("SELECT GET_LOCK('ferry_test_default_db', 60)");
      await admin.query('DROP DATABASE IF EXISTS `default`');
      await admin.query('CREATE DATABASE `default`');
      await admin.query('CREATE TABLE `default`.`order` (`select` INT PRIMARY KEY, `from` VARCHAR(10), `we``ird name` INT)');
      await admin.query("INSERT INTO `default`.`order` VALUES (1, 'a', 10), (2, 'b', 20)");
      const from = { 'fromJobConfig.schemaName': 'default', 'fromJobConfig.tableName': 'order' };
      const source = await open(from);
      expect(source.schema.columns.map((c) => c.name)).toEqual(['select', 'from', 'we`ird name']);
      const sink = await mysqlDialect.openSink({
        link: db.link(),
        to: { 'toJobConfig.schemaName': 'default', 'toJobConfig.tableName': 'order by', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' },
        run: runKey('quoted'),
        schema: source.schema,
      });
      await pump(source, sink, 1);
      await Promise.all([source.close(), sink.close()]);
      const [copied] = await admin.query({ sql: 'SELECT * FROM `default`.`order by` ORDER BY 1', rowsAsArray: true });
      expect(copied).toEqual([
        [1, 'a', 10],
        [2, 'b', 20],
      ]);
      expect(
        await all({ ...from, 'fromJobConfig.whereClause': '`we``ird name` > 10', 'fromJobConfig.columnList': 'we`ird name&from' }),
      ).toEqual([[20n, 'b']]);
    } finally {
      await admin.query('DROP DATABASE IF EXISTS `default`');
      await admin.end();
    }
  });
});

describe('source options', () => {
  it('whereClause filters the rows read and the estimate', async () => {
    const from = { 'fromJobConfig.tableName': 'ledger', 'fromJobConfig.whereClause': "region = 'us' AND amount < 10" };
    const source = await open(from);
    expect(await source.estimateRows()).toBe(10);
    await source.close();
    const rows = await all(from, 3);
    expect(rows.map((r) => r[2])).toEqual(Array.from({ length: 10 }, (_, i) => `${i}.25`));
  });

  it('columnList reads the listed columns in the listed order', async () => {
    const source = await open({ 'fromJobConfig.tableName': 'ledger', 'fromJobConfig.columnList': 'amount&region' });
    expect(source.schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['amount', 'decimal'],
      ['region', 'string'],
    ]);
    const rows = rowsOf(await readAll(source, 100));
    await source.close();
    expect(rows).toHaveLength(450);
    expect(rows[0]).toEqual(['0.25', 'eu']);
  });

  it('a columnList naming a missing column is refused with Cdm.0014', async () => {
    await expect(open({ 'fromJobConfig.tableName': 'ledger', 'fromJobConfig.columnList': 'amount&nope' })).rejects.toMatchObject({
      code: 'Cdm.0014',
      message: expect.stringContaining('nope'),
    });
  });

  it('useSql reads what the query returns, typed from the result set, and resumes after a position', async () => {
    const from = {
      'fromJobConfig.useSql': 'true',
      'fromJobConfig.sql': "SELECT seq, amount * 2 AS doubled, CONCAT(region, '!') AS tag FROM ledger WHERE region = 'eu';",
    };
    const source = await open(from);
    expect(source.schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['seq', 'integer'],
      ['doubled', 'decimal'],
      ['tag', 'string'],
    ]);
    expect(await source.estimateRows()).toBe(150);
    const batches = await readAll(source, 40);
    const rows = rowsOf(batches);
    expect(rows).toHaveLength(150);
    expect(rows[0]).toEqual([18446744073709551000n, '0.50', 'eu!']);
    expect(rowsOf(await readAll(source, 40, JSON.parse(JSON.stringify(batches[2]!.position))))).toEqual(rows.slice(120));
    await source.close();
  });

  it('useSql over every kind of column reads exact values', async () => {
    await db.query(`CREATE TABLE kinds (id BIGINT UNSIGNED PRIMARY KEY, j JSON, b TINYINT(1), dt DATETIME(6), ts TIMESTAMP(3) NULL,
      d DECIMAL(38,10), tm TIME(2), vb VARBINARY(4), doc LONGTEXT, y YEAR, f FLOAT)`);
    await db.query(`INSERT INTO kinds VALUES (18446744073709551615, '{"a": 1}', 1, '2024-01-01 00:00:00.5', '2024-01-01 00:00:00.5',
      '-1.5', '-10:00:00.5', X'00', REPEAT('😀', 2000), 2024, 1.5)`);
    const source = await open({ 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELECT * FROM kinds' });
    expect(source.schema.columns.map((c) => c.type)).toEqual([
      'integer',
      expect.stringMatching(/^(json|string)$/), // MariaDB announces JSON only as text
      'boolean',
      'timestamp',
      'timestamptz',
      'decimal',
      'time',
      'bytes',
      'string',
      'integer',
      'float',
    ]);
    expect(rowsOf(await readAll(source, 10))).toEqual([
      [
        18446744073709551615n,
        '{"a": 1}',
        true,
        '2024-01-01 00:00:00.500000',
        '2024-01-01T00:00:00.500+00:00',
        '-1.5000000000',
        '-10:00:00.50',
        Buffer.from([0]),
        '😀'.repeat(2000),
        2024n,
        1.5,
      ],
    ]);
    await source.close();
  });

  it('spatial columns read as their stored bytes (SRID + WKB), from a table and from useSql', async () => {
    await db.query('CREATE TABLE places (id INT PRIMARY KEY, at POINT, area GEOMETRY, label VARCHAR(10))');
    await db.query("INSERT INTO places VALUES (1, ST_GeomFromText('POINT(1.5 -2)', 4326), ST_GeomFromText('LINESTRING(0 0, 1 1)'), 'a'), (2, NULL, NULL, 'b')");
    const stored = await db.query('SELECT HEX(`at`), HEX(area) FROM places ORDER BY id');
    const expected = [
      [1n, Buffer.from(stored[0]![0] as string, 'hex'), Buffer.from(stored[0]![1] as string, 'hex'), 'a'],
      [2n, null, null, 'b'],
    ];
    expect((expected[0]![1] as Buffer).readUInt32LE(0)).toBe(4326);
    expect(await all({ 'fromJobConfig.tableName': 'places' })).toEqual(expected);
    expect(await all({ 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELECT id, `at`, area, label FROM places' })).toEqual(expected);
  });

  it('useSql that does not run is Cdm.0902 with the server’s message', async () => {
    await expect(open({ 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELEC 1' })).rejects.toMatchObject({
      code: 'Cdm.0902',
      message: expect.stringContaining('SQL syntax'),
    });
  });

  it('a missing table is Cdm.0900 naming it', async () => {
    await expect(open({ 'fromJobConfig.tableName': 'nope' })).rejects.toMatchObject({
      code: 'Cdm.0900',
      message: expect.stringContaining(`${db.name}.nope`),
    });
  });
});

// TINYINT(1) reads as a boolean (MySQL's BOOLEAN), but may hold any of -128..127. A value other
// than 0 and 1 would arrive as true: the read fails on it instead, whichever way the page is read.
describe('a TINYINT(1) holding a number other than 0 or 1', () => {
  const csv: CsvEncoding = { format: 'csv', columns: [0, 1], fieldSeparator: ',', lineSeparator: '\n', quote: false };
  /** The first page (rows 1–3, all booleans) as each way of reading gives it. */
  const firstPage: [string, RowEncoding | undefined, (b: RecordBatch) => unknown, unknown][] = [
    ['as values', undefined, (b) => b.rows, [[1n, true], [2n, false], [3n, null]]],
    [
      'as COPY lines the server formats',
      'pg-copy',
      (b) => [b.encoded, b.rows.map((r) => String(r[0]))],
      ['pg-copy', ['1\tt', '2\tf', '3\t\\N']],
    ],
    ['as CSV lines the server formats and joins', csv, (b) => [b.encoded, b.lines?.bytes.toString()], [csv, '1,true\n2,false\n3,\n']],
  ];
  const cases = ['5', '-1'].flatMap((value) => firstPage.map(([how, ...rest]) => [value, how, ...rest] as const));

  it.each(cases)('%s read %s fails the read naming the column and the value, after the pages before it', async (value, _how, encoding, shape, expected) => {
    const table = `flag_${value.replace('-', 'minus')}_${encoding === undefined ? 'values' : encoding === 'pg-copy' ? 'copy' : 'csv'}`;
    await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, flag TINYINT(1)) ENGINE=InnoDB`);
    await db.query(`INSERT INTO ${table} VALUES (1, 1), (2, 0), (3, NULL), (4, ${value}), (5, 1)`);
    const source = await open({ 'fromJobConfig.tableName': table });
    const batches: RecordBatch[] = [];
    const read = (async () => {
      for await (const b of source.read(undefined, 3, { encoding })) batches.push(b);
    })();
    await expect(read).rejects.toMatchObject({
      code: 'Cdm.0233',
      message: expect.stringContaining(`Column flag of ${db.name}.${table} holds ${value}, which is not a boolean`),
    });
    await source.close();
    expect(batches.map(shape)).toEqual([expected]);
  });

  it('a table without a key fails the read the same way', async () => {
    await db.query('CREATE TABLE flag_heap (id INT, flag TINYINT(1))');
    await db.query('INSERT INTO flag_heap VALUES (1, 1), (2, 0), (3, 2)');
    const source = await open({ 'fromJobConfig.tableName': 'flag_heap' });
    await expect(readAll(source, 10)).rejects.toThrow(`Column flag of ${db.name}.flag_heap holds 2, which is not a boolean`);
    await source.close();
  });

  it('useSql fails on it too; the query can read the column as the number it holds with CAST(… AS SIGNED)', async () => {
    await db.query('CREATE TABLE flag_query (id INT PRIMARY KEY, flag TINYINT(1))');
    await db.query('INSERT INTO flag_query VALUES (1, 1), (2, 5), (3, -1), (4, NULL)');
    const source = await open({ 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': 'SELECT id, flag FROM flag_query' });
    await expect(readAll(source, 10)).rejects.toThrow(
      /Column flag of fromJobConfig\.sql holds (5|-1), which is not a boolean.*select it in fromJobConfig\.sql as CAST\(`flag` AS SIGNED\)/,
    );
    await source.close();
    const cast = 'SELECT id, CAST(flag AS SIGNED) AS flag FROM flag_query ORDER BY id';
    expect(await all({ 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': cast })).toEqual([
      [1n, 1n],
      [2n, 5n],
      [3n, -1n],
      [4n, null],
    ]);
  });
});
