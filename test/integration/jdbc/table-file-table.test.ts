// A table exported to CSV or JSON files by Ferry loads back into a table of the same definition
// value for value, through the CDM API on the embedded runtime against MariaDB, PostgreSQL and a
// nas-connector directory: binary columns travel as base64 and are read back strictly, instants
// written with an offset land as the same instant, booleans load into TINYINT(1) and BIT(1).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLink } from '../../support/cdm-bodies';
import { startApi, type Api } from '../../support/embedded';
import { createTestDatabase, mysqlLinkBody, type TestDatabase } from '../../support/mysql';
import { createTestDatabase as createPg, postgresLink, type TestDatabase as PgDatabase } from '../../support/postgres';
import { cluster, link } from '../files/file-harness';

let api: Api;
let my: TestDatabase;
let pg: PgDatabase;
let root: string;
let lite: Database.Database;
let c: Awaited<ReturnType<typeof cluster>>;
beforeAll(async () => {
  [my, pg] = await Promise.all([createTestDatabase('table_file_table'), createPg('table_file_table')]);
  api = await startApi();
  c = await cluster(api);
  root = mkdtempSync(join(tmpdir(), 'ferry-table-file-table-'));
  lite = new Database(join(root, 'lite.db'));
  await c.links(
    sqliteLink('lite', join(root, 'lite.db')),
    mysqlLinkBody('my', my.name, { 'linkConfig.fetchSize': '2' }),
    postgresLink('pg', pg, { 'linkConfig.fetchSize': '2' }),
    link('disk', 'nas-connector', { 'linkConfig.rootDirectory': root }),
  );
});
afterAll(async () => {
  lite?.close();
  await api?.close();
  await my?.drop();
  await pg?.drop();
});

type Db = 'my' | 'pg' | 'lite';
const schemaOf = (db: Db) => (db === 'my' ? my.name : db === 'pg' ? 'public' : 'main');
/** The file options each end needs to read back what the other wrote (quoteChar: strings with separators and "" stay apart from NULL). */
const FORMATS = {
  CSV: { format: 'CSV_FILE', options: { quoteChar: 'true', firstRowAsHeader: 'true' } },
  'CSV, unquoted': { format: 'CSV_FILE', options: { firstRowAsHeader: 'true', lineSeparator: '\\n' } },
  JSON: { format: 'JSON_FILE', options: {} },
} as const;
type Format = keyof typeof FORMATS;
const inputs = (side: 'fromJobConfig' | 'toJobConfig', f: Format) =>
  Object.fromEntries(Object.entries(FORMATS[f].options).map(([k, v]) => [`${side}.${k}`, v]));

let jobs = 0;

/** Exports a table into a new directory; returns its CDM path and the files' text. */
async function toFiles(db: Db, table: string, f: Format): Promise<{ dir: string; text: string }> {
  const name = `out${++jobs}`;
  await c.job(name, {
    from: [db, 'generic-jdbc-connector'],
    to: ['disk', 'nas-connector'],
    fromInputs: { 'fromJobConfig.schemaName': schemaOf(db), 'fromJobConfig.tableName': table },
    toInputs: { 'toJobConfig.outputDirectory': `/${name}`, 'toJobConfig.outputFormat': FORMATS[f].format, ...inputs('toJobConfig', f) },
  });
  const s = await c.run(name);
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  const files = readdirSync(join(root, name)).sort();
  return { dir: `/${name}`, text: files.map((file) => readFileSync(join(root, name, file), 'utf8')).join('') };
}

/** Loads the files of `dir` into an existing table; returns the final submission. */
async function fromFiles(dir: string, db: Db, table: string, f: Format): Promise<any> {
  const name = `in${++jobs}`;
  await c.job(name, {
    from: ['disk', 'nas-connector'],
    to: [db, 'generic-jdbc-connector'],
    fromInputs: { 'fromJobConfig.inputDirectory': dir, 'fromJobConfig.inputFormat': FORMATS[f].format, ...inputs('fromJobConfig', f) },
    toInputs: { 'toJobConfig.schemaName': schemaOf(db), 'toJobConfig.tableName': table, 'toJobConfig.tablePreparation': 'DO_NOTHING' },
  });
  return c.run(name);
}

/** A file written by hand, as another tool would; returns its directory's CDM path. */
function handWritten(text: string): string {
  const dir = `/hand${++jobs}`;
  mkdirSync(join(root, dir));
  writeFileSync(join(root, dir, 'rows.csv'), text);
  return dir;
}

const formats = Object.keys(FORMATS).filter((f) => f !== 'CSV, unquoted') as Format[];

describe.each(formats)('MariaDB table -> %s files -> the same table definition', (f) => {
  const t = `all_${f.toLowerCase()}`;
  // Every column kind Ferry reads; binary and BIT columns compared as hex.
  const definition = `(id INT PRIMARY KEY, i BIGINT, u INT UNSIGNED, d DECIMAL(30,10), fl FLOAT, db DOUBLE, flag TINYINT(1),
    bit1 BIT(1), bits BIT(12), y YEAR, dt DATE, tm TIME(6), dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, s VARCHAR(50),
    e ENUM('a','b'), st SET('x','y'), j JSON, vb VARBINARY(20), bn BINARY(4), bl BLOB)`;
  const select = (table: string) =>
    my.query(`SELECT id, i, u, d, fl, db, flag, HEX(bit1), HEX(bits), y, dt, tm, dtm, ts, s, e, st, j, HEX(vb), HEX(bn), HEX(bl) FROM ${table} ORDER BY id`);

  it('keeps every value: bytes, BIT, booleans, TIMESTAMP and DATETIME exactly', async () => {
    await my.query(`CREATE TABLE ${t} ${definition}`);
    await my.query(`CREATE TABLE ${t}_back ${definition}`);
    await my.query(
      `INSERT INTO ${t} VALUES
        (1, -9007199254740991, 4294967295, '-12345678901234567890.0123456789', 0.1, 1e-7, 1, 1, b'101010101010', 1999, '0001-01-01',
         '-838:59:59.000000', '1900-01-01 00:00:00.000001', '1970-01-01 00:00:01.5', 'a,"b"\\n😀', 'b', 'x,y', '{"a":[1,2]}',
         X'00FF0A2C225C', X'00FF', X''),
        (2, 0, 0, '0', -2.5, -1.7976931348623157e308, 0, 0, b'0', 2155, '9999-12-31', '00:00:00', '2024-02-29 23:59:59.999999',
         '2038-01-19 03:14:07.999999', '', 'a', '', '[]', X'', X'5C4E0D0A', X'0D0A'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    const { dir, text } = await toFiles('my', t, f);
    expect(text).toContain(f === 'JSON' ? '"vb":"AP8KLCJc"' : '"AP8KLCJc"'); // base64 in the file
    const s = await fromFiles(dir, 'my', `${t}_back`, f);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const rows = await select(t);
    expect(rows).toHaveLength(3);
    expect(await select(`${t}_back`)).toEqual(rows);
  });
});

describe.each(formats)('PostgreSQL table -> %s files -> the same table definition', (f) => {
  const t = `all_${f.toLowerCase()}`;
  const definition = `(id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric(40,10), nu numeric, r real, d float8, b boolean, by bytea,
    dt date, tm time(6), ts timestamp(6), tz timestamptz(6), j json, jb jsonb, v varchar(20), tx text, u uuid, arr int[], iv interval)`;

  it('keeps every value: bytea, booleans, timestamptz, BC dates, infinities', async () => {
    await pg.query(`CREATE TABLE ${t} ${definition}`);
    await pg.query(`CREATE TABLE ${t}_back ${definition}`);
    await pg.query(
      `INSERT INTO ${t} VALUES
        (1, -32768, -9007199254740991, '-123456789012345678901234567890.0123456789', '1e-20', '1.1', '-1.7976931348623157e308', true,
         '\\x00ff0a2c225c', '0044-03-15 BC', '23:59:59.999999', '1900-01-01 00:00:00.000001', '1969-07-20 20:17:40.5-04:00',
         '{"a":1}', '{"b": [true, null]}', 'a,"b"', E'line\\nbreak \\\\ back', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}',
         '1 year 2 mons -3 days 04:05:06.5'),
        (2, 0, 0, '0', 'NaN', 'Infinity', '-Infinity', false, '\\x', 'infinity', '00:00:00', '-infinity', '0001-01-01 00:00:00+05:30',
         '[]', '{}', '', '', '00000000-0000-0000-0000-000000000000', '{}', '0'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    const { dir } = await toFiles('pg', t, f);
    const s = await fromFiles(dir, 'pg', `${t}_back`, f);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const rows = await pg.query(`SELECT * FROM ${t} ORDER BY id`);
    expect(rows).toHaveLength(3);
    expect(await pg.query(`SELECT * FROM ${t}_back ORDER BY id`)).toEqual(rows);
  });
});

describe('binary columns travel through files as base64', () => {
  it.each([
    ['my', 'VARBINARY(20)'],
    ['my', 'LONGBLOB'],
    ['pg', 'bytea'],
  ] as const)('%s %s -> unquoted CSV -> the same column keeps its bytes', async (db, type) => {
    const t = `b_${db}_${type.replace(/\W/g, '').toLowerCase()}`;
    const q = db === 'my' ? my.query : pg.query;
    await q(`CREATE TABLE ${t} (id int PRIMARY KEY, b ${type})`);
    await q(`CREATE TABLE ${t}_back (id int PRIMARY KEY, b ${type})`);
    const hex = db === 'my' ? (h: string) => `X'${h}'` : (h: string) => `decode('${h}', 'hex')`;
    await q(`INSERT INTO ${t} VALUES (1, ${hex('00FF0A')}), (2, ${hex('5C4E')}), (3, ${hex('2C0D0A22')}), (4, NULL)`);
    const { dir, text } = await toFiles(db, t, 'CSV, unquoted');
    expect(text).toBe('id,b\n1,AP8K\n2,XE4=\n3,LA0KIg==\n4,\n');
    const s = await fromFiles(dir, db, `${t}_back`, 'CSV, unquoted');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const back = db === 'my' ? 'SELECT id, HEX(b) AS b FROM' : "SELECT id::text AS id, upper(encode(b, 'hex')) AS b FROM";
    const rows = (await q(`${back} ${t}_back ORDER BY id`)).map((r: any) => (Array.isArray(r) ? r : [Number(r.id), r.b]));
    expect(rows).toEqual([
      [1, '00FF0A'],
      [2, '5C4E'],
      [3, '2C0D0A22'],
      [4, null],
    ]);
  });

  it('MariaDB VARBINARY -> CSV -> PostgreSQL bytea, and back into a MariaDB BLOB', async () => {
    await my.query('CREATE TABLE x_src (id INT PRIMARY KEY, b VARBINARY(8))');
    await my.query('CREATE TABLE x_back (id INT PRIMARY KEY, b BLOB)');
    await pg.query('CREATE TABLE x_mid (id int PRIMARY KEY, b bytea)');
    await my.query("INSERT INTO x_src VALUES (1, X'00FF0A'), (2, X'')");
    const first = await toFiles('my', 'x_src', 'CSV');
    expect((await fromFiles(first.dir, 'pg', 'x_mid', 'CSV')).status).toBe('SUCCEEDED');
    expect(await pg.query("SELECT id, encode(b, 'hex') AS b FROM x_mid ORDER BY id")).toEqual([
      { id: '1', b: '00ff0a' },
      { id: '2', b: '' },
    ]);
    const second = await toFiles('pg', 'x_mid', 'JSON');
    expect((await fromFiles(second.dir, 'my', 'x_back', 'JSON')).status).toBe('SUCCEEDED');
    expect(await my.query('SELECT id, HEX(b) FROM x_back ORDER BY id')).toEqual([
      [1, '00FF0A'],
      [2, ''],
    ]);
  });

  // Each is text some tool might write for bytes, none of it the canonical base64 Ferry writes.
  const notBase64 = [
    ['unpadded', 'XE4'],
    ['URL-safe alphabet', '-_8K'],
    ['spaces', 'AP 8K'],
    ['stray bits in the last character', 'XE5='],
    ['hex', '\\x00ff0a'],
  ];
  it.each(notBase64.flatMap(([why, text]) => (['my', 'pg'] as const).map((db) => [db, why, text] as const)))(
    '%s: a cell that is not base64 (%s) fails the run naming the column, and nothing of its chunk is stored',
    async (db, _why, text) => {
      const t = `bad_${db}_${++jobs}`;
      const q = db === 'my' ? my.query : pg.query;
      await q(`CREATE TABLE ${t} (id int PRIMARY KEY, payload ${db === 'my' ? 'VARBINARY(20)' : 'bytea'})`);
      const s = await fromFiles(handWritten(`id,payload\n1,AP8K\n2,${text}\n`), db, t, 'CSV, unquoted');
      expect(s.status).toBe('FAILED');
      expect(s['error-summary']).toContain(`${JSON.stringify(text)} is not base64, which CSV/JSON files hold for binary column payload`);
      expect(await q(`SELECT * FROM ${t}`)).toEqual([]);
    },
  );

  it('a header naming the MariaDB columns in another case still reads the cells for those columns', async () => {
    await my.query('CREATE TABLE cased (id INT PRIMARY KEY, payload VARBINARY(8), at DATETIME(6))');
    const s = await fromFiles(handWritten('ID,Payload,AT\n1,AP8K,1969-12-31T20:00:00.5-04:00\n'), 'my', 'cased', 'CSV, unquoted');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await my.query('SELECT id, HEX(payload), at FROM cased')).toEqual([[1, '00FF0A', '1970-01-01 00:00:00.500000']]);
  });

  it('a table-to-table copy of text into a binary column keeps the text: only files carry base64', async () => {
    await my.query("CREATE TABLE txt (id INT PRIMARY KEY, s VARCHAR(10)); INSERT INTO txt VALUES (1, 'AP8K')");
    await pg.query('CREATE TABLE txt_bytes (id int PRIMARY KEY, s bytea)');
    await c.job('text-to-bytes', {
      from: ['my', 'generic-jdbc-connector'],
      to: ['pg', 'generic-jdbc-connector'],
      fromInputs: { 'fromJobConfig.schemaName': my.name, 'fromJobConfig.tableName': 'txt' },
      toInputs: { 'toJobConfig.schemaName': 'public', 'toJobConfig.tableName': 'txt_bytes', 'toJobConfig.tablePreparation': 'DO_NOTHING' },
    });
    expect((await c.run('text-to-bytes')).status).toBe('SUCCEEDED');
    expect(await pg.query("SELECT convert_from(s, 'UTF8') AS s FROM txt_bytes")).toEqual([{ s: 'AP8K' }]);
  });
});

describe('instants and booleans as Ferry writes them load into MariaDB', () => {
  it.each(formats)('TIMESTAMP(6) and TINYINT(1) -> %s -> TIMESTAMP(6), DATETIME(6), TINYINT(1), BIT(1), INT', async (f) => {
    const t = `tb_${f.toLowerCase()}`;
    await my.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, ts TIMESTAMP(6) NULL DEFAULT NULL, dt TIMESTAMP(6) NULL DEFAULT NULL,
      flag TINYINT(1), bit1 TINYINT(1), n TINYINT(1))`);
    await my.query(`CREATE TABLE ${t}_back (id INT PRIMARY KEY, ts TIMESTAMP(6) NULL DEFAULT NULL, dt DATETIME(6), flag TINYINT(1),
      bit1 BIT(1), n INT)`);
    await my.query(`INSERT INTO ${t} VALUES (1, '1970-01-01 00:00:01.5', '2038-01-19 03:14:07.999999', 1, 1, 0),
      (2, '2024-02-29 23:59:59', '1999-12-31 23:00:00.000001', 0, 0, 1), (3, NULL, NULL, NULL, NULL, NULL)`);
    const { dir, text } = await toFiles('my', t, f);
    expect(text).toContain('1970-01-01T00:00:01.500000+00:00');
    const s = await fromFiles(dir, 'my', `${t}_back`, f);
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await my.query(`SELECT id, ts, dt, flag, HEX(bit1), n FROM ${t}_back ORDER BY id`)).toEqual([
      [1, '1970-01-01 00:00:01.500000', '2038-01-19 03:14:07.999999', 1, '1', 0],
      [2, '2024-02-29 23:59:59.000000', '1999-12-31 23:00:00.000001', 0, '0', 1],
      [3, null, null, null, null, null],
    ]);
  });

  it('PostgreSQL timestamptz -> CSV -> MariaDB DATETIME(6) holds the UTC wall time, before 1970 too', async () => {
    await pg.query('CREATE TABLE tz (id int PRIMARY KEY, tz timestamptz(6))');
    await pg.query(`INSERT INTO tz VALUES (1, '2024-01-01 10:00:00+00'), (2, '1969-12-31 23:59:59.25-05:30'),
      (3, '1900-03-01 00:30:00.000001+01:00'), (4, '0001-01-01 12:00:00+05:45')`);
    await my.query('CREATE TABLE tz_back (id INT PRIMARY KEY, tz DATETIME(6))');
    const { dir } = await toFiles('pg', 'tz', 'CSV');
    const s = await fromFiles(dir, 'my', 'tz_back', 'CSV');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await my.query('SELECT * FROM tz_back ORDER BY id')).toEqual([
      [1, '2024-01-01 10:00:00.000000'],
      [2, '1970-01-01 05:29:59.250000'],
      [3, '1900-02-28 23:30:00.000001'],
      [4, '0001-01-01 06:15:00.000000'],
    ]);
  });
});

describe('an instant written with any offset lands as the same instant', () => {
  // Offsets either side of UTC, fractions, dates before 1970 and across a leap day and a year.
  const file = [
    'id,at',
    '1,1969-12-31T23:59:59.250000-05:30',
    '2,1900-03-01T00:30:00+01:00',
    '3,2024-02-29T23:00:00.5-02:00',
    '4,2000-01-01T00:00:00Z',
    '5,1999-12-31T23:59:59.999999+0545',
    '6,2024-06-01 12:00:00',
    '',
  ].join('\n');
  const utc = [
    '1970-01-01 05:29:59.250000',
    '1900-02-28 23:30:00.000000',
    '2024-03-01 01:00:00.500000',
    '2000-01-01 00:00:00.000000',
    '1999-12-31 18:14:59.999999',
    '2024-06-01 12:00:00.000000',
  ];

  it('into a MariaDB DATETIME(6) as its UTC wall time', async () => {
    await my.query('CREATE TABLE at_my (id INT PRIMARY KEY, at DATETIME(6))');
    const s = await fromFiles(handWritten(file), 'my', 'at_my', 'CSV, unquoted');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(await my.query('SELECT id, at FROM at_my ORDER BY id')).toEqual(utc.map((u, i) => [i + 1, u]));
  });

  it.each(['timestamp(6)', 'timestamptz(6)'])('into a PostgreSQL %s as the same instant (UTC wall time without zone)', async (type) => {
    const t = `at_${type.replace(/\W/g, '')}`;
    await pg.query(`CREATE TABLE ${t} (id int PRIMARY KEY, at ${type})`);
    const s = await fromFiles(handWritten(file), 'pg', t, 'CSV, unquoted');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    // The test session runs in UTC: a timestamptz prints as its UTC time.
    const rows = await pg.query(`SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') AS at FROM ${t} ORDER BY id`);
    expect(rows).toEqual(utc.map((at, i) => ({ id: String(i + 1), at })));
  });
});

describe('SQLite', () => {
  it('a BLOB and a BOOLEAN -> CSV -> the same table keep their bytes and 0/1', async () => {
    lite.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB, flag BOOLEAN); CREATE TABLE blobs_back (id INTEGER PRIMARY KEY, b BLOB, flag BOOLEAN)');
    lite.prepare('INSERT INTO blobs VALUES (?, ?, ?)').run(1, Buffer.from('00ff0a', 'hex'), 1);
    lite.prepare('INSERT INTO blobs VALUES (?, ?, ?)').run(2, Buffer.alloc(0), 0);
    const { dir } = await toFiles('lite', 'blobs', 'CSV');
    const s = await fromFiles(dir, 'lite', 'blobs_back', 'CSV');
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(lite.prepare('SELECT id, hex(b), typeof(b), flag FROM blobs_back ORDER BY id').raw().all()).toEqual([
      [1, '00FF0A', 'blob', 1],
      [2, '', 'blob', 0],
    ]);
  });

  it('a cell that is not base64 fails the run naming the column', async () => {
    lite.exec('CREATE TABLE blobs_bad (id INTEGER PRIMARY KEY, payload BLOB)');
    const s = await fromFiles(handWritten('id,payload\n1,XE4\n'), 'lite', 'blobs_bad', 'CSV, unquoted');
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain('"XE4" is not base64, which CSV/JSON files hold for binary column payload (BLOB)');
    expect(lite.prepare('SELECT * FROM blobs_bad').all()).toEqual([]);
  });
});

describe('float negative zero', () => {
  it.each([
    ['CSV, unquoted', 'id,f\n1,-0\n2,0\n'],
    ['JSON', '{"id":1,"f":-0}\n{"id":2,"f":0}\n'],
  ] as const)('PostgreSQL float8 -0 -> %s -> PostgreSQL keeps its sign', async (format, written) => {
    const t = format === 'JSON' ? 'zj' : 'z';
    await pg.query(`CREATE TABLE ${t} (id int PRIMARY KEY, f float8); INSERT INTO ${t} VALUES (1, '-0'), (2, '0')`);
    await pg.query(`CREATE TABLE ${t}_back (id int PRIMARY KEY, f float8)`);
    const { dir, text } = await toFiles('pg', t, format);
    expect(text).toBe(written);
    expect((await fromFiles(dir, 'pg', `${t}_back`, format)).status).toBe('SUCCEEDED');
    expect(await pg.query(`SELECT f FROM ${t}_back ORDER BY id`)).toEqual([{ f: '-0' }, { f: '0' }]);
  });
});
