// Every common column type moves MySQL (MariaDB) → PostgreSQL and PostgreSQL → MySQL
// through the CDM API on the embedded runtime, into tables the job creates, and arrives
// value for value: both sides are read back with plain SQL as text and compared, with an
// explicit expectation (and the reason) wherever the two engines spell a value
// differently. The copies are verified (ferryConfig.verify) and must match. A value the
// destination cannot hold fails the run with the server's reason and writes nothing: it
// is never wrapped, clamped or stored as another value.
//
// MySQL → PostgreSQL tables with a key travel as COPY lines the MariaDB server formats
// (mysql-copy-text.ts): these cases hold that path to the values the row-by-row path gives.
//
// Nothing here depends on the process timezone: cross-engine-types-shanghai.test.ts runs
// this same file with TZ=Asia/Shanghai set before anything is imported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, waitFor, type Api } from '../../support/embedded';
import * as my from '../../support/mysql';
import * as pg from '../../support/postgres';

interface TypeCase {
  /** Column name, the same in the source and the destination. */
  readonly name: string;
  /** The source column's declaration. */
  readonly source: string;
  /** The type the destination column is created with (CREATE_WHEN_NOT_EXIST), as its catalog spells it. */
  readonly created: string;
  /** SQL literals for rows 1–3; row 4 is NULL in every column. */
  readonly literals: readonly [string, string, string];
  /** Rows 1–3 as the source reads them back as text. */
  readonly text: readonly [string, string, string];
  /** Rows 1–3 as the destination reads them, where its engine spells the same value otherwise. */
  readonly copied?: readonly [string, string, string];
}

const MAX_U64 = '18446744073709551615';
const MAX_I64 = '9223372036854775807';
const MIN_I64 = '-9223372036854775808';
const BEYOND_2_53 = '9007199254740993';
const DEC_38_10 = '1234567890123456789012345678.0123456789';
// 1.50 and a number beyond 2^64 would not survive a trip through JSON.parse.
const JSON_DOC = '{"a": [1, "😀", 1.50], "b": null, "n": 123456789012345678901234567890}';

/** MySQL/MariaDB → PostgreSQL. */
const FROM_MYSQL: readonly TypeCase[] = [
  { name: 'i8', source: 'TINYINT', created: 'smallint', literals: ['-128', '127', '0'], text: ['-128', '127', '0'] },
  { name: 'i16', source: 'SMALLINT', created: 'smallint', literals: ['-32768', '32767', '1'], text: ['-32768', '32767', '1'] },
  { name: 'i24', source: 'MEDIUMINT', created: 'integer', literals: ['-8388608', '8388607', '2'], text: ['-8388608', '8388607', '2'] },
  { name: 'i32', source: 'INT', created: 'integer', literals: ['-2147483648', '2147483647', '3'], text: ['-2147483648', '2147483647', '3'] },
  // INT UNSIGNED needs 33 bits: bigint.
  { name: 'u32', source: 'INT UNSIGNED', created: 'bigint', literals: ['4294967295', '0', '4'], text: ['4294967295', '0', '4'] },
  {
    name: 'i64',
    source: 'BIGINT',
    created: 'bigint',
    literals: [MIN_I64, MAX_I64, BEYOND_2_53],
    text: [MIN_I64, MAX_I64, BEYOND_2_53],
  },
  // BIGINT UNSIGNED needs 65 bits: numeric(20,0) holds all of them.
  {
    name: 'u64',
    source: 'BIGINT UNSIGNED',
    created: 'numeric(20,0)',
    literals: [MAX_U64, BEYOND_2_53, '0'],
    text: [MAX_U64, BEYOND_2_53, '0'],
  },
  {
    name: 'dec',
    source: 'DECIMAL(38,10)',
    created: 'numeric(38,10)',
    literals: [`'${DEC_38_10}'`, "'-0.0000000001'", "'-9999999999999999999999999999.9999999999'"],
    text: [DEC_38_10, '-0.0000000001', '-9999999999999999999999999999.9999999999'],
  },
  // FLOAT is a single-precision float: every digit of it arrives (MariaDB's own text, here read
  // as DOUBLE, would print 1048576 as 1048580); PostgreSQL prints a real by its shortest text.
  {
    name: 'f32',
    source: 'FLOAT',
    created: 'real',
    literals: ['1048576', '1.2345678', '-0.5'],
    text: ['1048576', '1.2345677614212036', '-0.5'],
    copied: ['1.048576e+06', '1.2345678', '-0.5'],
  },
  {
    name: 'f64',
    source: 'DOUBLE',
    created: 'double precision',
    literals: ['0.1', '-1.7976931348623157e308', '5e-324'],
    text: ['0.1', '-1.7976931348623157e+308', '5e-324'],
  },
  // TINYINT(1) and BIT(1) are how MySQL spells BOOLEAN: they arrive as booleans.
  { name: 'flag', source: 'TINYINT(1)', created: 'boolean', literals: ['1', '0', 'TRUE'], text: ['1', '0', '1'], copied: ['t', 'f', 't'] },
  { name: 'bit1', source: 'BIT(1)', created: 'boolean', literals: ["b'1'", "b'0'", "b'1'"], text: ['1', '0', '1'], copied: ['t', 'f', 't'] },
  // A wider BIT is bytes, most significant first (its plain-SQL text here is the number).
  { name: 'bits', source: 'BIT(12)', created: 'bytea', literals: ["b'101000000101'", "b'0'", "b'111111111111'"], text: ['2565', '0', '4095'], copied: ['0a05', '0000', '0fff'] },
  {
    name: 'd',
    source: 'DATE',
    created: 'date',
    literals: ["'1969-07-20'", "'9999-12-31'", "'1000-01-01'"],
    text: ['1969-07-20', '9999-12-31', '1000-01-01'],
  },
  // DATETIME is a wall time: it must arrive as written, whatever any timezone.
  {
    name: 'dt',
    source: 'DATETIME(6)',
    created: 'timestamp(6) without time zone',
    literals: ["'1969-12-31 23:59:59.999999'", "'9999-12-31 23:59:59.999999'", "'1900-01-01 00:00:00.000001'"],
    text: ['1969-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999', '1900-01-01 00:00:00.000001'],
  },
  {
    name: 'dt0',
    source: 'DATETIME',
    created: 'timestamp(0) without time zone',
    literals: ["'2024-02-29 12:00:00'", "'1000-01-01 00:00:00'", "'2024-03-10 02:30:00'"],
    text: ['2024-02-29 12:00:00', '1000-01-01 00:00:00', '2024-03-10 02:30:00'],
  },
  // TIMESTAMP is an instant (read here in UTC): timestamptz, the same instant, printed with its offset.
  {
    name: 'ts',
    source: 'TIMESTAMP(6) NULL DEFAULT NULL',
    created: 'timestamp(6) with time zone',
    literals: ["'1970-01-01 00:00:01.000001'", "'2038-01-19 03:14:07.999999'", "'2000-02-29 16:00:00.500000'"],
    text: ['1970-01-01 00:00:01.000001', '2038-01-19 03:14:07.999999', '2000-02-29 16:00:00.500000'],
    copied: ['1970-01-01 00:00:01.000001+00', '2038-01-19 03:14:07.999999+00', '2000-02-29 16:00:00.5+00'],
  },
  {
    name: 't',
    source: 'TIME(6)',
    created: 'time(6) without time zone',
    literals: ["'00:00:00.000001'", "'23:59:59.999999'", "'12:34:56.5'"],
    text: ['00:00:00.000001', '23:59:59.999999', '12:34:56.500000'],
    // PostgreSQL drops trailing fractional zeros.
    copied: ['00:00:00.000001', '23:59:59.999999', '12:34:56.5'],
  },
  { name: 'yr', source: 'YEAR', created: 'smallint', literals: ['1901', '2155', '2024'], text: ['1901', '2155', '2024'] },
  // CHAR's trailing spaces are not kept by MySQL: 'ab' reads as 'ab'.
  { name: 'ch', source: 'CHAR(4)', created: 'character varying(4)', literals: ["'ab'", "'😀'", "''"], text: ['ab', '😀', ''] },
  {
    name: 'vc',
    source: 'VARCHAR(20)',
    created: 'character varying(20)',
    literals: ["'😀 中文 𝄞'", "''", "'NULL'"],
    text: ['😀 中文 𝄞', '', 'NULL'],
  },
  // COPY's own escapes (\N is its NULL, \. its end of data) must arrive as plain text.
  {
    name: 'txt',
    source: 'TEXT',
    created: 'text',
    literals: ["'tab\\there\\nnewline\\\\back\\rcr'", "'\\\\N'", "'\\\\.'"],
    text: ['tab\there\nnewline\\back\rcr', '\\N', '\\.'],
  },
  // One character that needs a COPY escape each (the server looks for any of them before escaping).
  {
    name: 'esc',
    source: 'VARCHAR(20)',
    created: 'character varying(20)',
    literals: ["'only\ttab'", "'only\nnewline'", "'only\rcr'"],
    text: ['only\ttab', 'only\nnewline', 'only\rcr'],
  },
  { name: 'en', source: "ENUM('a','b c')", created: 'character varying(3)', literals: ["'a'", "'b c'", "'a'"], text: ['a', 'b c', 'a'] },
  { name: 'st', source: "SET('x','y')", created: 'character varying(3)', literals: ["'x,y'", "''", "'y'"], text: ['x,y', '', 'y'] },
  // Bytes, compared as hex: zero bytes, an empty value, and the bytes of '\N'.
  { name: 'vb', source: 'VARBINARY(8)', created: 'bytea', literals: ["X'000100'", "X''", "X'5C4E'"], text: ['000100', '', '5c4e'] },
  // BINARY(n) pads with zero bytes, and the padding is part of the value.
  { name: 'bn', source: 'BINARY(4)', created: 'bytea', literals: ["X'0001'", "X'FFFFFFFF'", "X''"], text: ['00010000', 'ffffffff', '00000000'] },
  { name: 'bl', source: 'BLOB', created: 'bytea', literals: ["X'00FF00FE'", "X''", "X'00'"], text: ['00ff00fe', '', '00'] },
  // JSON keeps its text (PostgreSQL json, not jsonb); the JSON null is not SQL NULL.
  {
    name: 'js',
    source: 'JSON',
    created: 'json',
    literals: [`'${JSON_DOC}'`, "'[]'", "'null'"],
    text: [JSON_DOC, '[]', 'null'],
  },
];

/** PostgreSQL → MySQL/MariaDB. */
const FROM_POSTGRES: readonly TypeCase[] = [
  { name: 'i16', source: 'smallint', created: 'smallint(6)', literals: ['-32768', '32767', '0'], text: ['-32768', '32767', '0'] },
  { name: 'i32', source: 'integer', created: 'int(11)', literals: ['-2147483648', '2147483647', '1'], text: ['-2147483648', '2147483647', '1'] },
  { name: 'i64', source: 'bigint', created: 'bigint(20)', literals: [MIN_I64, MAX_I64, BEYOND_2_53], text: [MIN_I64, MAX_I64, BEYOND_2_53] },
  // numeric(20,0) is how BIGINT UNSIGNED arrives in PostgreSQL: it goes back as DECIMAL(20,0).
  {
    name: 'n20',
    source: 'numeric(20,0)',
    created: 'decimal(20,0)',
    literals: [MAX_U64, '-99999999999999999999', BEYOND_2_53],
    text: [MAX_U64, '-99999999999999999999', BEYOND_2_53],
  },
  {
    name: 'dec',
    source: 'numeric(38,10)',
    created: 'decimal(38,10)',
    literals: [`'${DEC_38_10}'`, "'-0.0000000001'", "'0.5'"],
    text: [DEC_38_10, '-0.0000000001', '0.5000000000'],
  },
  // An unbounded numeric becomes DECIMAL(65,30): the same number, printed with 30 decimals.
  {
    name: 'num',
    source: 'numeric',
    created: 'decimal(65,30)',
    literals: ["'123456789012345678901234567890.123456789'", "'-0.5'", "'0.000000000000000000000000000001'"],
    text: ['123456789012345678901234567890.123456789', '-0.5', '0.000000000000000000000000000001'],
    copied: ['123456789012345678901234567890.123456789000000000000000000000', '-0.500000000000000000000000000000', '0.000000000000000000000000000001'],
  },
  {
    name: 'f32',
    source: 'real',
    created: 'float',
    literals: ['1048576', '1.2345678', '-0.5'],
    text: ['1.048576e+06', '1.2345678', '-0.5'],
    copied: ['1048576', '1.2345677614212036', '-0.5'],
  },
  {
    name: 'f64',
    source: 'double precision',
    created: 'double',
    literals: ['0.1', "'-1.7976931348623157e+308'", "'5e-324'"],
    text: ['0.1', '-1.7976931348623157e+308', '5e-324'],
  },
  // MySQL's BOOLEAN is TINYINT(1): true and false read as 1 and 0.
  { name: 'b', source: 'boolean', created: 'tinyint(1)', literals: ['true', 'false', 'true'], text: ['t', 'f', 't'], copied: ['1', '0', '1'] },
  {
    name: 'd',
    source: 'date',
    created: 'date',
    literals: ["'1969-07-20'", "'9999-12-31'", "'1000-01-01'"],
    text: ['1969-07-20', '9999-12-31', '1000-01-01'],
  },
  // timestamp is a wall time: it must arrive as written, whatever any timezone.
  {
    name: 'ts',
    source: 'timestamp(6)',
    created: 'datetime(6)',
    literals: ["'1969-12-31 23:59:59.999999'", "'9999-12-31 23:59:59.999999'", "'1900-01-01 00:00:00.000001'"],
    text: ['1969-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999', '1900-01-01 00:00:00.000001'],
  },
  {
    name: 'ts0',
    source: 'timestamp(0)',
    created: 'datetime',
    literals: ["'2024-02-29 12:00:00'", "'1000-01-01 00:00:00'", "'2024-03-10 02:30:00'"],
    text: ['2024-02-29 12:00:00', '1000-01-01 00:00:00', '2024-03-10 02:30:00'],
  },
  // timestamptz is an instant: MySQL has no such type past 2038, so it arrives as a DATETIME holding UTC.
  {
    name: 'tstz',
    source: 'timestamptz(6)',
    created: 'datetime(6)',
    literals: ["'2024-03-10 02:30:00.5+08'", "'1969-12-31 23:59:59.999999-05'", "'9999-12-31 23:59:59.999999+00'"],
    text: ['2024-03-09 18:30:00.5+00', '1970-01-01 04:59:59.999999+00', '9999-12-31 23:59:59.999999+00'],
    copied: ['2024-03-09 18:30:00.500000', '1970-01-01 04:59:59.999999', '9999-12-31 23:59:59.999999'],
  },
  {
    name: 't',
    source: 'time(6)',
    created: 'time(6)',
    literals: ["'00:00:00.000001'", "'23:59:59.999999'", "'12:34:56.5'"],
    text: ['00:00:00.000001', '23:59:59.999999', '12:34:56.5'],
    // MySQL prints every fractional digit of TIME(6).
    copied: ['00:00:00.000001', '23:59:59.999999', '12:34:56.500000'],
  },
  {
    name: 'vc',
    source: 'varchar(20)',
    created: 'varchar(20)',
    literals: ["'😀 中文 𝄞'", "''", "'NULL'"],
    text: ['😀 中文 𝄞', '', 'NULL'],
  },
  // Backslash sequences are MySQL string escapes: they must arrive as plain text.
  {
    name: 'txt',
    source: 'text',
    created: 'longtext',
    literals: [`E'tab\\there\\nnewline\\\\back\\rcr'`, `E'\\\\N'`, `E'quote\\' and \\\\0'`],
    text: ['tab\there\nnewline\\back\rcr', '\\N', "quote' and \\0"],
  },
  // char(n) is blank-padded in PostgreSQL, and the padding travels.
  { name: 'ch', source: 'char(4)', created: 'varchar(4)', literals: ["'ab'", "'😀'", "''"], text: ['ab  ', '😀   ', '    '] },
  { name: 'by', source: 'bytea', created: 'longblob', literals: ["'\\x000100'", "'\\x'", "'\\x5c4e'"], text: ['000100', '', '5c4e'] },
  // json keeps its text.
  { name: 'js', source: 'json', created: 'longtext', literals: [`'${JSON_DOC}'`, "'[]'", "'null'"], text: [JSON_DOC, '[]', 'null'] },
  // jsonb is already normalised by PostgreSQL (keys sorted by length, 1.50 kept): that text travels.
  {
    name: 'jb',
    source: 'jsonb',
    created: 'longtext',
    literals: [`'{"bb": 1, "a": [1.50, "😀"]}'`, "'{}'", "'\"x\"'"],
    text: ['{"a": [1.50, "😀"], "bb": 1}', '{}', '"x"'],
  },
  {
    name: 'u',
    source: 'uuid',
    created: 'varchar(36)',
    literals: ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"],
    text: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  },
  // Types MySQL does not have travel as PostgreSQL's text.
  { name: 'arr', source: 'integer[]', created: 'longtext', literals: ["'{1,2,NULL}'", "'{}'", "'{{1,2},{3,4}}'"], text: ['{1,2,NULL}', '{}', '{{1,2},{3,4}}'] },
  {
    name: 'iv',
    source: 'interval',
    created: 'longtext',
    literals: ["'1 year 2 mons 3 days 04:05:06.5'", "'-1 day'", "'0'"],
    text: ['1 year 2 mons 3 days 04:05:06.5', '-1 days', '00:00:00'],
  },
];

const BYTES = /binary|blob|bytea/i;

/** A column read as text by plain SQL: bytes as lower-case hex, BIT as its number, FLOAT with all its digits. */
const mysqlText = (name: string, type: string) => {
  if (BYTES.test(type)) return `LOWER(HEX(\`${name}\`))`;
  if (/^bit/i.test(type)) return `CAST(\`${name}\` + 0 AS CHAR)`;
  return /^float/i.test(type) ? `CAST(\`${name}\` AS DOUBLE)` : `\`${name}\``;
};
/** The server's own output text (no ::text cast: it would strip char(n)'s padding); bytes as hex. */
const pgText = (name: string, type: string) => (BYTES.test(type) ? `encode("${name}", 'hex')` : `"${name}"`);

let api: Api;
let mysqlDb: my.TestDatabase;
let pgDb: pg.TestDatabase;
let base: string;

beforeAll(async () => {
  [mysqlDb, pgDb] = await Promise.all([my.createTestDatabase('xtypes'), pg.createTestDatabase('xtypes')]);
  // A session that took the server's zone instead of UTC would read timestamptz shifted.
  await pgDb.query(`ALTER DATABASE "${pgDb.name}" SET timezone = 'America/New_York'`);
  api = await startApi();
  const cluster = (await api.call('POST', '/v1.1/p1/clusters', { cluster: { name: 'xtypes' } })).body.id as string;
  base = `/v1.1/p1/clusters/${cluster}/cdm`;
  // Two rows a fetch: every copy takes several chunks.
  const links = [my.mysqlLinkBody('my', mysqlDb.name, { 'linkConfig.fetchSize': '2' }), pg.postgresLink('pg', pgDb, { 'linkConfig.fetchSize': '2' })];
  const linked = await api.call('POST', `${base}/link`, { links });
  expect(linked.status, JSON.stringify(linked.body)).toBe(200);
});
afterAll(async () => {
  await api?.close();
  await Promise.all([mysqlDb?.drop(), pgDb?.drop()]);
});

const inputs = (config: string, values: Record<string, string>) => ({
  configs: [{ name: config, inputs: Object.entries(values).map(([name, value]) => ({ name, value })) }],
});

/** A table job between the two links (or `into` another) into `<table>_copy`, verified (ferryConfig.verify) after the copy. */
function job(from: 'my' | 'pg', table: string, opts: { to?: Record<string, string>; into?: 'my' | 'pg' } = {}) {
  const into = opts.into ?? (from === 'my' ? 'pg' : 'my');
  return {
    job_type: 'NORMAL_JOB',
    name: table,
    'from-connector-name': 'generic-jdbc-connector',
    'to-connector-name': 'generic-jdbc-connector',
    'from-link-name': from,
    'to-link-name': into,
    'from-config-values': inputs('fromJobConfig', {
      'fromJobConfig.schemaName': from === 'my' ? mysqlDb.name : 'public',
      'fromJobConfig.tableName': table,
    }),
    'to-config-values': inputs('toJobConfig', {
      'toJobConfig.schemaName': into === 'pg' ? 'public' : mysqlDb.name,
      'toJobConfig.tableName': `${table}_copy`,
      'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST',
      ...opts.to,
    }),
    'driver-config-values': inputs('ferryConfig', { 'ferryConfig.verify': 'true' }),
  };
}

/** Creates the job, starts it and waits for the end of its run. */
async function run(body: ReturnType<typeof job>) {
  const created = await api.call('POST', `${base}/job`, { jobs: [body] });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  expect((await api.call('PUT', `${base}/job/${body.name}/start`)).status).toBe(200);
  const status = async () => (await api.call('GET', `${base}/job/${body.name}/status`)).body.submissions[0];
  return waitFor(`${body.name} to end`, status, (s) => ['SUCCEEDED', 'FAILED', 'FAILURE_ON_SUBMIT'].includes(s.status));
}

const counters = (s: any) => s.counters['org.apache.sqoop.submission.counter.SqoopCounters'];

/** Each case's column of `table`, rows in id order, as text. */
async function mysqlColumns(table: string, cases: readonly TypeCase[], type: (c: TypeCase) => string) {
  const rows = await mysqlDb.query(`SELECT ${cases.map((c) => mysqlText(c.name, type(c))).join(', ')} FROM \`${table}\` ORDER BY id`);
  return cases.map((_, i) => rows.map((r) => (r[i] === null ? null : String(r[i]))));
}

async function pgColumns(table: string, cases: readonly TypeCase[], type: (c: TypeCase) => string) {
  const rows = await pgDb.query(`SELECT ${cases.map((c) => `${pgText(c.name, type(c))} AS "${c.name}"`).join(', ')} FROM "${table}" ORDER BY id`);
  return cases.map((c) => rows.map((r) => r[c.name] ?? null));
}

async function createdTypes(from: 'my' | 'pg', table: string): Promise<string[]> {
  if (from === 'pg') {
    const rows = await mysqlDb.query(
      `SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    );
    return rows.map((r) => String(r[0]));
  }
  const rows = await pgDb.query(
    `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`,
    [`public.${table}`],
  );
  return rows.map((r) => r.type!);
}

interface Copied {
  submission: any;
  /** Per case: the created type, the source's rows and the destination's rows, as text. */
  columns: { created: string; source: (string | null)[]; copied: (string | null)[] }[];
}

/**
 * A table of the cases in the source (rows 1–3 their literals, row 4 all NULL), copied by
 * a job into a table it creates, and both sides read back.
 */
async function copyCases(from: 'my' | 'pg', table: string, cases: readonly TypeCase[]): Promise<Copied> {
  const ids = [1, 2, 3] as const;
  if (from === 'my') {
    await mysqlDb.query(`CREATE TABLE \`${table}\` (id INT PRIMARY KEY, ${cases.map((c) => `\`${c.name}\` ${c.source}`).join(', ')})`);
    for (const id of ids) await mysqlDb.query(`INSERT INTO \`${table}\` VALUES (${id}, ${cases.map((c) => c.literals[id - 1]).join(', ')})`);
    await mysqlDb.query(`INSERT INTO \`${table}\` (id) VALUES (4)`);
  } else {
    await pgDb.query(`CREATE TABLE "${table}" (id integer PRIMARY KEY, ${cases.map((c) => `"${c.name}" ${c.source}`).join(', ')})`);
    for (const id of ids) await pgDb.query(`INSERT INTO "${table}" VALUES (${id}, ${cases.map((c) => c.literals[id - 1]).join(', ')})`);
    await pgDb.query(`INSERT INTO "${table}" (id) VALUES (4)`);
  }
  const submission = await run(job(from, table));
  const copy = `${table}_copy`;
  const [source, copied, types] = await Promise.all([
    from === 'my' ? mysqlColumns(table, cases, (c) => c.source) : pgColumns(table, cases, (c) => c.source),
    from === 'my' ? pgColumns(copy, cases, (c) => c.created) : mysqlColumns(copy, cases, (c) => c.created),
    createdTypes(from, copy),
  ]);
  return { submission, columns: cases.map((_, i) => ({ created: types[i + 1]!, source: source[i]!, copied: copied[i]! })) };
}

/** The story of one case: the created type, then the values on both sides, row 4 NULL. */
function expectCase(c: TypeCase, got: Copied['columns'][number]) {
  expect(got.created).toBe(c.created);
  expect(got.source).toEqual([...c.text, null]);
  expect(got.copied).toEqual([...(c.copied ?? c.text), null]);
}

const title = (c: TypeCase) => `${c.source} → ${c.created}`;

describe(`MySQL → PostgreSQL (process TZ ${Intl.DateTimeFormat().resolvedOptions().timeZone})`, () => {
  let copy: Copied;
  beforeAll(async () => {
    copy = await copyCases('my', 'm2p', FROM_MYSQL);
  });

  it('the run succeeds with every row copied, and verification matches counts and checksums', () => {
    const s = copy.submission;
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(counters(s)).toMatchObject({ ROWS_READ: 4, ROWS_WRITTEN: 4 });
    expect(s.verification).toMatchObject({ matched: true, source: { rows: 4 }, destination: { rows: 4 } });
    expect(s.verification.destination.checksum).toBe(s.verification.source.checksum);
  });

  it.each(FROM_MYSQL.map((c, i) => [title(c), c, i] as const))('%s', (_, c, i) => expectCase(c, copy.columns[i]!));
});

describe(`PostgreSQL → MySQL (process TZ ${Intl.DateTimeFormat().resolvedOptions().timeZone})`, () => {
  let copy: Copied;
  beforeAll(async () => {
    copy = await copyCases('pg', 'p2m', FROM_POSTGRES);
  });

  it('the run succeeds with every row copied, and verification matches counts and checksums', () => {
    const s = copy.submission;
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    expect(counters(s)).toMatchObject({ ROWS_READ: 4, ROWS_WRITTEN: 4 });
    expect(s.verification).toMatchObject({ matched: true, source: { rows: 4 }, destination: { rows: 4 } });
    expect(s.verification.destination.checksum).toBe(s.verification.source.checksum);
  });

  it.each(FROM_POSTGRES.map((c, i) => [title(c), c, i] as const))('%s', (_, c, i) => expectCase(c, copy.columns[i]!));
});

// A value the destination column cannot hold fails the run with the server's reason (or
// Ferry's, where the server would round it without a word) and leaves the chunk out; it is
// never wrapped, clamped or rounded into the table.
describe('values the destination cannot hold', () => {
  const cases = [
    {
      story: 'BIGINT UNSIGNED max into an existing PostgreSQL bigint',
      from: 'my' as const,
      table: 'u64_into_bigint',
      source: 'BIGINT UNSIGNED',
      value: MAX_U64,
      existing: 'bigint',
      error: /out of range for type bigint/,
    },
    {
      story: 'numeric(20,0) beyond 2^63 into an existing MySQL BIGINT',
      from: 'pg' as const,
      table: 'n20_into_bigint',
      source: 'numeric(20,0)',
      value: MAX_U64,
      existing: 'BIGINT',
      error: /Out of range value for column 'v'/,
    },
    {
      story: 'a MySQL TIME beyond a day into a PostgreSQL time',
      from: 'my' as const,
      table: 'time_beyond_day',
      source: 'TIME',
      value: "'-838:59:59'",
      existing: undefined,
      error: /out of range/,
    },
    {
      story: 'PostgreSQL timestamp infinity into a MySQL DATETIME',
      from: 'pg' as const,
      table: 'infinite_timestamp',
      source: 'timestamp',
      value: "'infinity'",
      existing: undefined,
      error: /Incorrect datetime value: 'infinity'/,
    },
    {
      story: 'a MySQL string holding a NUL character into PostgreSQL text',
      from: 'my' as const,
      table: 'nul_in_text',
      source: 'VARCHAR(10)',
      value: "'a\\0b'",
      existing: undefined,
      error: /0x00/,
    },
    {
      story: 'a MySQL zero DATETIME into a PostgreSQL timestamp',
      from: 'my' as const,
      table: 'zero_datetime',
      source: 'DATETIME',
      value: "'0000-00-00 00:00:00'",
      existing: undefined,
      error: /out of range/,
    },
    {
      story: 'PostgreSQL double precision NaN into a MySQL DOUBLE',
      from: 'pg' as const,
      table: 'nan_double',
      source: 'double precision',
      value: "'NaN'",
      existing: undefined,
      error: /NaN/,
    },
    {
      story: 'a PostgreSQL BC date into a MySQL DATE',
      from: 'pg' as const,
      table: 'bc_date',
      source: 'date',
      value: "'0044-03-15 BC'",
      existing: undefined,
      error: /0044-03-15 BC/,
    },
    {
      story: 'a MySQL DECIMAL with more decimals than an existing PostgreSQL numeric(10,2) holds',
      from: 'my' as const,
      table: 'dec_into_scale_2',
      source: 'DECIMAL(12,4)',
      value: "'1.0050'",
      existing: 'numeric(10,2)',
      error: /1\.0050 does not fit column v \(numeric\(10,2\)\) without rounding/,
    },
    {
      story: 'a PostgreSQL numeric with more decimals than an existing MySQL DECIMAL(10,2) holds',
      from: 'pg' as const,
      table: 'num_into_scale_2',
      source: 'numeric',
      value: "'1.005'",
      existing: 'DECIMAL(10,2)',
      error: /1\.005 does not fit column v \(decimal\(10,2\)\) without rounding/,
    },
    {
      story: 'a PostgreSQL fraction into an existing MySQL INT',
      from: 'pg' as const,
      table: 'fraction_into_int',
      source: 'numeric(5,1)',
      value: "'1.5'",
      existing: 'INT',
      error: /1\.5 does not fit column v \(int\(11\)\) without rounding/,
    },
    {
      story: 'MySQL microseconds into an existing PostgreSQL timestamp(0)',
      from: 'my' as const,
      table: 'micros_into_ts0',
      source: 'DATETIME(6)',
      value: "'2024-01-01 10:00:00.500000'",
      existing: 'timestamp(0)',
      error: /2024-01-01 10:00:00\.500000 does not fit column v \(timestamp\(0\) without time zone\) without rounding/,
    },
    {
      story: 'PostgreSQL microseconds into an existing MySQL DATETIME',
      from: 'pg' as const,
      table: 'micros_into_datetime',
      source: 'timestamp(6)',
      value: "'2024-01-01 10:00:00.5'",
      existing: 'DATETIME',
      error: /2024-01-01 10:00:00\.5 does not fit column v \(datetime\) without rounding/,
    },
  ];

  it.each(cases.map((c) => [c.story, c] as const))('%s fails the run and writes nothing', async (_, c) => {
    const copy = `${c.table}_copy`;
    if (c.from === 'my') {
      await mysqlDb.query(`CREATE TABLE \`${c.table}\` (id INT PRIMARY KEY, v ${c.source})`);
      // A session without strict mode, as old applications run: it lets zero dates in.
      await mysqlDb.query(`SET SESSION sql_mode = ''; INSERT INTO \`${c.table}\` VALUES (1, ${c.value}); SET SESSION sql_mode = DEFAULT`);
      if (c.existing) await pgDb.query(`CREATE TABLE "${copy}" (id integer PRIMARY KEY, v ${c.existing})`);
    } else {
      await pgDb.query(`CREATE TABLE "${c.table}" (id integer PRIMARY KEY, v ${c.source})`);
      await pgDb.query(`INSERT INTO "${c.table}" VALUES (1, ${c.value})`);
      if (c.existing) await mysqlDb.query(`CREATE TABLE \`${copy}\` (id INT PRIMARY KEY, v ${c.existing})`);
    }
    const s = await run(job(c.from, c.table, { to: c.existing ? { 'toJobConfig.tablePreparation': 'DO_NOTHING' } : {} }));
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toMatch(c.error);
    const written =
      c.from === 'my' ? (await pgDb.query(`SELECT count(*) AS n FROM "${copy}"`))[0]!.n : (await mysqlDb.query(`SELECT count(*) FROM \`${copy}\``))[0]![0];
    expect(written).toBe('0');
  });
});

// A TINYINT(1) is read as a boolean, but may hold any of -128..127: one that holds another
// number than 0 or 1 fails the run, naming it, rather than arrive as true (1, TRUE).
describe('a MySQL TINYINT(1) holding a number other than 0 or 1', () => {
  it.each([
    ['5', 'pg'],
    ['-1', 'pg'],
    ['5', 'my'],
    ['-1', 'my'],
  ] as const)('%s fails the run into %s, naming the column and the value, and no row arrives changed', async (value, into) => {
    const table = `flag_${value.replace('-', 'minus')}_into_${into}`;
    await mysqlDb.query(`CREATE TABLE \`${table}\` (id INT PRIMARY KEY, flag TINYINT(1)) ENGINE=InnoDB`);
    await mysqlDb.query(`INSERT INTO \`${table}\` VALUES (1, 1), (2, 0), (3, NULL), (4, ${value}), (5, 1)`);
    const s = await run(job('my', table, { into }));
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Column flag of ${mysqlDb.name}.${table} holds ${value}, which is not a boolean`);
    expect(s['error-summary']).toContain('CAST(`flag` AS SIGNED)');
    // Pages of two rows: those before the value's page may have been committed, exactly as they were.
    const before = into === 'pg' ? [['1', 'true'], ['2', 'false'], ['3', null]] : [['1', '1'], ['2', '0'], ['3', null]];
    const copied =
      into === 'pg'
        ? (await pgDb.query(`SELECT id::text, flag::text FROM "${table}_copy" ORDER BY id`)).map((r) => [r.id, r.flag])
        : (await mysqlDb.query(`SELECT CAST(id AS CHAR), CAST(flag AS CHAR) FROM \`${table}_copy\` ORDER BY id`)).map((r) => [r[0], r[1]]);
    expect(copied).toEqual(before.slice(0, copied.length));
  });
});

describe('MySQL → PostgreSQL, a value near max_allowed_packet', () => {
  it('a text whose COPY escapes outgrow the server packet arrives whole, not NULL', async () => {
    // 12 MB of text with a tab every other byte: escaped for COPY it is 18 MB, beyond the 16 MiB packet.
    const packet = Number((await mysqlDb.query('SELECT @@max_allowed_packet'))[0]![0]);
    const pairs = Math.ceil((packet * 0.75) / 2);
    await mysqlDb.query('CREATE TABLE wide (id INT PRIMARY KEY, body LONGTEXT NULL)');
    await mysqlDb.query(`INSERT INTO wide VALUES (1, 'a'), (2, REPEAT('a\\t', ${pairs})), (3, NULL), (4, '')`);
    const s = await run(job('my', 'wide'));
    expect(s.status, s['error-summary']).toBe('SUCCEEDED');
    const rows = await pgDb.query(`SELECT id::text, length(body)::text AS n, md5(body) AS md5 FROM wide_copy ORDER BY id`);
    const sourceMd5 = (await mysqlDb.query('SELECT MD5(body) FROM wide WHERE id = 2'))[0]![0];
    expect(rows).toEqual([
      { id: '1', n: '1', md5: expect.any(String) },
      { id: '2', n: String(2 * pairs), md5: sourceMd5 },
      { id: '3', n: null, md5: null },
      { id: '4', n: '0', md5: expect.any(String) },
    ]);
  });
});
