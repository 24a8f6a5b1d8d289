// A MySQL table exported to CSV objects has its lines formatted by the MariaDB server
// (mysql-csv-text.ts). These cases hold that path to the row-by-row one byte for byte: the
// same table read through fromJobConfig.sql (a query, which always reads values) must write
// the same objects, for every column type, edge value and CSV option, through the CDM API
// on the embedded runtime, against MariaDB and s3rver.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMysqlSource } from '../../../lib/connectors/jdbc/mysql/mysql-source';
import type { CsvEncoding } from '../../../lib/engine/types';
import { startApi, type Api } from '../../support/embedded';
import { createTestDatabase, mysqlLinkBody, type TestDatabase } from '../../support/mysql';
import { startS3, type TestS3 } from '../../support/s3';
import { cluster, link } from './file-harness';

const COLUMNS = `
  id BIGINT PRIMARY KEY, i8 TINYINT, u64 BIGINT UNSIGNED, i64 BIGINT, zf INT(5) ZEROFILL, yr YEAR,
  dc DECIMAL(38,10), dz DECIMAL(6,2) ZEROFILL, f32 FLOAT, f64 DOUBLE, flag TINYINT(1), bit1 BIT(1), bits BIT(12),
  d DATE, dt DATETIME(6), dt0 DATETIME, ts TIMESTAMP(6) NULL DEFAULT NULL, t TIME(6), ch CHAR(4), vc VARCHAR(60),
  lat VARCHAR(20) CHARACTER SET latin1, txt TEXT, en ENUM('a','b c'), st SET('x','y'), vb VARBINARY(8), bn BINARY(4),
  bl BLOB, js JSON`;

// Rows 1–6: extremes, separators and quotes inside values, empty strings; row 7 is NULL in every column.
// (A TINYINT(1) holding another number than 0 or 1 fails the export: see its own case below.)
const ROWS = [
  `1, -128, 0, -9223372036854775808, 42, 0, '-0.0000000001', 1.5, 1048576, -1.7976931348623157e308, 1, b'1', b'101000000101',
   '1969-07-20', '1969-12-31 23:59:59.999999', '1000-01-01 00:00:00', '1970-01-01 00:00:01.000001', '-838:59:59', 'ab',
   'a,b "q" e0a', 'café', 'line\\nbreak\\r\\ncr', 'a', 'x,y', X'000100', X'0001', X'00FF00FE', '{"a": [1, "😀", 1.50]}'`,
  `2, 127, 18446744073709551615, 9223372036854775807, 99999, 2155, '1234567890123456789012345678.0123456789', 9999.99, -0.5, 1e21,
   0, b'0', b'0', '9999-12-31', '9999-12-31 23:59:59.999999', '2024-02-29 12:00:00', '2038-01-19 03:14:07.999999',
   '838:59:59.999999', '😀', '😀 中文 𝄞 | ; \\t', 'ÿ', '\\\\N', 'b c', '', X'', X'FFFFFFFF', X'', '[]'`,
  `3, 0, 9007199254740993, 9007199254740993, 0, 2024, '0', 0, 1.2345678, 5e-324, 1, b'1', b'111111111111', '1000-01-01',
   '1900-01-01 00:00:00.000001', '2024-03-10 02:30:00', '2000-02-29 16:00:00.5', '00:00:00.000001', '', '', '', '', 'a', 'y',
   X'5C4E', X'', REPEAT(X'00FF', 100), 'null'`,
  `4, -1, 1, -1, 7, 1901, '-9999999999999999999999999999.9999999999', 0.01, 3e38, 999999999999999.9, 0, b'0', b'1',
   '2024-01-01', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '-00:00:01.5', '"', '""', '"',
   '=+e0a-😀\\\\u0001||T:', 'b c', 'x', X'22', X'2C2C2C2C', X'0D0A', '{"k": "v,w\\\\n"}'`,
  `5, 10, 10, 10, 10, 2000, '10', 10, 1e-7, 1.5e-7, 1, b'1', b'10', '2000-10-10', '2000-10-10 10:10:10.100000', '2000-10-10 10:10:10',
   '2000-10-10 10:10:10.1', '10:10:10', 'e', 'true', 'a', 'TT:T:', 'a', 'x,y', X'FB', X'FBFF', X'FBFF', '"e"'`,
  `6, 1, 1, 1, 1, 2001, '1', 1, 1e-6, 1e15, 0, b'0', b'111', '2001-01-01', '2001-01-01 01:01:01', '2001-01-01 01:01:01',
   '2001-01-01 01:01:01', '01:01:01', '-', '0', '0', '0-0', 'a', '', X'FF', X'00', X'', '0'`,
];
const ALL_NULL = `7${', NULL'.repeat(27)}`;

/** Separators, quoting, column choice and header: each spelled as CDM's toJobConfig takes them. */
const OPTIONS: Record<string, string>[] = [
  {},
  { 'toJobConfig.quoteChar': 'true', 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.firstRowAsHeader': 'true' },
  { 'toJobConfig.fieldSeparator': '\\t', 'toJobConfig.lineSeparator': '\\n', 'toJobConfig.columnList': '20&1&10&28' },
  // Separators that occur inside numbers, booleans, base64 and timestamps: those fields are then quoted.
  { 'toJobConfig.fieldSeparator': 'e', 'toJobConfig.lineSeparator': 'a' },
  { 'toJobConfig.fieldSeparator': '0', 'toJobConfig.lineSeparator': '-' },
  { 'toJobConfig.fieldSeparator': '=', 'toJobConfig.lineSeparator': '+', 'toJobConfig.firstRowAsHeader': 'true' },
  { 'toJobConfig.fieldSeparator': '||', 'toJobConfig.lineSeparator': 'T:' },
  { 'toJobConfig.fieldSeparator': '😀', 'toJobConfig.lineSeparator': '\\u0001', 'toJobConfig.columnList': '21' },
  // Separators whose beginnings end numbers, dates and texts: those fields are quoted too.
  { 'toJobConfig.fieldSeparator': '00', 'toJobConfig.lineSeparator': '9-' },
  { 'toJobConfig.fieldSeparator': '😀😀', 'toJobConfig.lineSeparator': 'e0a' },
];

let s3: TestS3;
let db: TestDatabase;
let api: Api;
let c: Awaited<ReturnType<typeof cluster>>;
let jobs = 0;

beforeAll(async () => {
  [s3, db] = await Promise.all([startS3(), createTestDatabase('csv_lines')]);
  await db.query(`CREATE TABLE t (${COLUMNS})`);
  for (const row of [...ROWS, ALL_NULL]) await db.query(`INSERT INTO t VALUES (${row})`);
  api = await startApi();
  c = await cluster(api);
  await s3.createBucket('out');
  // Three rows a page: lines and pages alike are many.
  await c.links(
    mysqlLinkBody('db', db.name, { 'linkConfig.fetchSize': '3' }),
    mysqlLinkBody('wide', db.name, { 'linkConfig.fetchSize': '1000' }),
    link('s3', 'obs-connector', s3.linkInputs()),
  );
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
  await s3?.close();
});

/** Runs an export of `from` to a directory of its own; returns its objects by name. */
async function exportTo(db: string, from: Record<string, string>, to: Record<string, string>): Promise<Map<string, Buffer>> {
  const name = `export${++jobs}`;
  await c.job(name, {
    from: [db, 'generic-jdbc-connector'],
    to: ['s3', 'obs-connector'],
    fromInputs: from,
    toInputs: { 'toJobConfig.bucketName': 'out', 'toJobConfig.outputDirectory': `/${name}`, 'toJobConfig.outputFormat': 'CSV_FILE', 'toJobConfig.filePrefix': 'rows', ...to },
  });
  const s = await c.run(name);
  expect(s.status, s['error-summary']).toBe('SUCCEEDED');
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: `${name}/` }));
  const objects = new Map<string, Buffer>();
  for (const o of listed.Contents ?? []) {
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: 'out', Key: o.Key! }))).Body!.transformToByteArray();
    objects.set(o.Key!.slice(name.length + 1), Buffer.from(body));
  }
  return objects;
}

/** The table as lines formatted by the server, and as values read through a query. */
async function bothWays(table: string, to: Record<string, string>, link = 'db') {
  const lines = await exportTo(link, { 'fromJobConfig.schemaName': db.name, 'fromJobConfig.tableName': table }, to);
  const values = await exportTo(link, { 'fromJobConfig.useSql': 'true', 'fromJobConfig.sql': `SELECT * FROM ${db.name}.${table}` }, to);
  return { lines, values };
}

describe('CSV lines formatted by the MariaDB server', () => {
  it('are what the sink asks for, for a table with a key', async () => {
    const enc: CsvEncoding = { format: 'csv', columns: [0, 19], fieldSeparator: ',', lineSeparator: '\n', quote: false };
    const run = { project: 'p', cluster: 'c', job: 'j', submissionId: 1, partition: 0 };
    const source = await openMysqlSource({ link: db.link(), from: { 'fromJobConfig.tableName': 't' }, run });
    try {
      const batches = [];
      for await (const b of source.read(undefined, 100, { encoding: enc })) batches.push(b);
      expect(batches.map((b) => b.encoded)).toEqual([enc]);
      // One buffer of the page's lines, each ended by the line separator.
      const lines = ['1,"a,b ""q"" e0a"', '2,😀 中文 𝄞 | ; \t', '3,', '4,""""""', '5,true', '6,0', '7,'];
      expect(batches[0]!.lines?.count).toBe(lines.length);
      expect(batches[0]!.lines!.bytes.toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    } finally {
      await source.close();
    }
  });

  it.each(OPTIONS)('write the same objects as the row-by-row path, every type (%j)', async (to) => {
    const { lines, values } = await bothWays('t', to);
    expect(lines.size).toBe(1);
    expect([...lines.keys()]).toEqual([...values.keys()]);
    for (const [name, bytes] of values) expect(lines.get(name)!.toString('utf8')).toBe(bytes.toString('utf8'));
    for (const [name, bytes] of values) expect(lines.get(name)!.equals(bytes), name).toBe(true);
  });

  it('print every double and float as JavaScript does', async () => {
    await db.query('CREATE TABLE fl (id INT PRIMARY KEY, x DOUBLE, f FLOAT)');
    const special = [
      0, -0, 1, -1, 0.1, 1 / 3, 1e-6, 9.999999999999999e-7, 1e-7, 1.5e-7, 1e-15, 1.2345678901234567e-10, 5e-324, -5e-324,
      1e15, 999999999999999.9, 999999999999999.8, 1e16, 1.2345678901234567e15, 1.2345678901234567e16, 123e18, 1e20, 1e21,
      999999999999999900000, 1.7976931348623157e308, -1.7976931348623157e308, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 9.999999999999998,
    ];
    const random = new DataView(new ArrayBuffer(8));
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const values = [...special];
    while (values.length < 4000) {
      if (values.length % 2) {
        random.setUint32(0, next());
        random.setUint32(4, next());
        const v = random.getFloat64(0);
        if (Number.isFinite(v)) values.push(v);
      } else {
        values.push(((next() / 2 ** 32) - 0.5) * 10 ** ((next() % 50) - 25));
      }
    }
    const literal = (v: number) => (Object.is(v, -0) ? '-0e0' : `${v}e0`.replace(/e([+-]?\d+)e0$/, 'e$1'));
    const fits = (v: number) => Math.abs(v) < 3.4e38 && (v === 0 || Math.abs(v) > 1.2e-38);
    for (let i = 0; i < values.length; i += 500) {
      const rows = values.slice(i, i + 500).map((v, k) => `(${i + k}, ${literal(v)}, ${fits(v) ? literal(v) : 'NULL'})`);
      await db.query(`INSERT INTO fl VALUES ${rows.join(', ')}`);
    }
    const texts: string[] = [];
    for (const to of [{}, { 'toJobConfig.fieldSeparator': 'e', 'toJobConfig.lineSeparator': '+' }] as Record<string, string>[]) {
      const { lines, values: rowByRow } = await bothWays('fl', to, 'wide');
      texts.push(lines.get('rows_00000.csv')!.toString('utf8'));
      expect(texts.at(-1)).toBe(rowByRow.get('rows_00000.csv')!.toString('utf8'));
    }
    // Exact both ways: digits that mysql2's own parser would read as 1000000000000000.
    expect(texts[0]).toContain('\r\n15,999999999999999.9,999999986991104\r\n');
  });

  it.each(['DOUBLE(10,2)', 'DOUBLE(30,10)', 'DOUBLE(255,30) UNSIGNED', 'DOUBLE(25,0)', 'FLOAT(10,2)', 'REAL(20,5)'])(
    'print a %s as JavaScript prints the double, not padded to the scale',
    async (type) => {
      const table = `scaled_${type.replace(/\W+/g, '_')}`;
      await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, x ${type})`);
      // Each side of every bound jsNumber lays out apart (1e-6, 1e15, 1e21), as far as the column holds them.
      const values = [
        '0', '-0', '0.1', '5', '-12345678.5', '1e-7', '1.5e-7', '9.999999999999999e-7', '1e-6', '0.000123', '1/3', '123',
        '999999999999999.9', '1e15', '1e16', '1.2345678901234567e15', '9007199254740994', '1e20', '1e21', '1.7e200',
      ];
      for (const [i, v] of values.entries()) await db.query(`INSERT IGNORE INTO ${table} VALUES (${i}, ${v})`);
      const { lines, values: rowByRow } = await bothWays(table, { 'toJobConfig.lineSeparator': '\\n' });
      const text = lines.get('rows_00000.csv')!.toString('utf8');
      expect(text).toBe(rowByRow.get('rows_00000.csv')!.toString('utf8'));
      expect(text).not.toMatch(/\.\d*0\n|\.0+e/);
    },
  );

  it.each([
    ['||', '\\n'],
    ['😀😀', '##'],
    ['e+', '-0'],
  ])('quote a field ending with the beginning of a separator, as the row-by-row path does (%s, %s)', async (fs, ls) => {
    const table = `ends_${[...fs, ...ls].map((c) => c.codePointAt(0)).join('_')}`;
    await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, s VARCHAR(20), x DOUBLE, d DATE, n INT)`);
    await db.query(
      `INSERT INTO ${table} VALUES (1, 'a|', 1e-7, '2024-01-10', -1), (2, '|', 1e21, '2024-01-01', 10), (3, 'x😀', -0.5, NULL, 0), ` +
        `(4, '😀', 1e20, '2000-10-10', NULL), (5, 'x#', 2, '2024-01-02', 5), (6, 'e', 1.5, '2024-01-03', 7), (7, '-', -1, '2024-01-04', 30)`,
    );
    const { lines, values } = await bothWays(table, { 'toJobConfig.fieldSeparator': fs, 'toJobConfig.lineSeparator': ls });
    expect(lines.get('rows_00000.csv')!.toString('utf8')).toBe(values.get('rows_00000.csv')!.toString('utf8'));
    expect(lines.get('rows_00000.csv')!.toString('utf8')).toMatch(/"/);
  });

  it('read a page as values where a line would exceed max_allowed_packet', async () => {
    await db.query('CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, s VARCHAR(10))');
    // 12 MB of bytes are 16 MB of base64, beyond the server's 16 MiB packet with the rest of the line.
    await db.query("INSERT INTO big VALUES (1, X'01', 'a'), (2, REPEAT(X'ABCD', 6300000), 'b'), (3, X'', 'c'), (4, NULL, 'd')");
    const { lines, values } = await bothWays('big', { 'toJobConfig.lineSeparator': '\\n' });
    expect(lines.get('rows_00000.csv')!.equals(values.get('rows_00000.csv')!)).toBe(true);
    const text = lines.get('rows_00000.csv')!.toString('utf8').split('\n');
    expect(text[1]!.length).toBeGreaterThan(16_800_000);
  });

  it.each([
    ['InnoDB', ''],
    // Other engines, and partitions, keep rows in their own order: those tables are read line by line.
    ['MyISAM', ''],
    ['InnoDB', 'PARTITION BY HASH (id) PARTITIONS 3'],
  ])('keep key order and every line, %s %s', async (engine, partitions) => {
    const table = `order_${engine}_${partitions ? 'p' : 'n'}`;
    await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, s VARCHAR(20)) ENGINE=${engine} ${partitions}`);
    // Inserted in reverse: a scan that kept insertion order (MyISAM) or went partition by partition would show it.
    const rows = Array.from({ length: 50 }, (_, i) => 50 - i);
    await db.query(`INSERT INTO ${table} VALUES ${rows.map((i) => `(${i}, 'r${i}')`).join(', ')}`);
    for (const link of ['db', 'wide']) {
      const { lines, values } = await bothWays(table, { 'toJobConfig.lineSeparator': '\\n' }, link);
      const text = lines.get('rows_00000.csv')!.toString('utf8');
      expect(text).toBe(values.get('rows_00000.csv')!.toString('utf8'));
      expect(text.split('\n').slice(0, 3)).toEqual(['1,r1', '2,r2', '3,r3']);
    }
  });

  it('keep every line of an integer key with gaps, negative keys and keys up to BIGINT\'s largest, paged as spans of key values', async () => {
    await db.query('CREATE TABLE gaps (id BIGINT PRIMARY KEY, s VARCHAR(40))');
    const keys = [
      ...Array.from({ length: 50 }, (_, i) => -50 + i), // dense, negative
      ...Array.from({ length: 143 }, (_, i) => 1000 + 7 * i), // sparse
      ...Array.from({ length: 301 }, (_, i) => 10n ** 12n + BigInt(i)), // after a gap of 10^12
      ...Array.from({ length: 808 }, (_, i) => 9223372036854775000n + BigInt(i)), // up to the largest BIGINT
    ];
    await db.query(`INSERT INTO gaps VALUES ${keys.map((k) => `(${k}, 'r${k}')`).join(', ')}`);
    for (const link of ['db', 'wide']) {
      const { lines, values } = await bothWays('gaps', { 'toJobConfig.lineSeparator': '\\n' }, link);
      const text = lines.get('rows_00000.csv')!.toString('utf8');
      expect(text).toBe(values.get('rows_00000.csv')!.toString('utf8'));
      expect(text).toBe(keys.map((k) => `${k},r${k}\n`).join(''));
    }
  });

  it('keep every line where the keys turn dense and wide: a span too long to join is narrowed', async () => {
    // Ten small rows a hundred keys apart, then ten of 1.5 MB on consecutive keys: the span the
    // sparse rows suggest holds 15 MB, beyond what the server joins (half of max_allowed_packet).
    await db.query('CREATE TABLE turns (id INT PRIMARY KEY, s LONGTEXT)');
    for (let i = 0; i < 10; i++) await db.query(`INSERT INTO turns VALUES (${i * 100}, 'small ${i}')`);
    for (let i = 0; i < 10; i++) await db.query(`INSERT INTO turns VALUES (${2000 + i}, REPEAT('${String.fromCharCode(97 + i)}', 1500000))`);
    for (let i = 0; i < 10; i++) await db.query(`INSERT INTO turns VALUES (${10_000 + i * 100}, 'after ${i}')`);
    // Far beyond: spans go on past the wide rows (the tail is walked).
    await db.query("INSERT INTO turns VALUES (1000000000, 'last')");
    const { lines, values } = await bothWays('turns', { 'toJobConfig.lineSeparator': '\\n' }, 'wide');
    expect(lines.get('rows_00000.csv')!.equals(values.get('rows_00000.csv')!)).toBe(true);
    const text = lines.get('rows_00000.csv')!.toString('utf8').split('\n');
    expect(text).toHaveLength(32);
    expect(text.slice(9, 12).map((l) => l.slice(0, 8))).toEqual(['900,smal', '2000,aaa', '2001,bbb']);
    expect(text.slice(29)).toEqual(['10900,after 9', '1000000000,last', '']);
  });

  it('read line by line a page holding U+FFFF, the mark of a NULL line in a joined page', async () => {
    await db.query('CREATE TABLE nonchar (id INT PRIMARY KEY, s VARCHAR(20))');
    await db.query(`INSERT INTO nonchar VALUES (1, 'a'), (2, 'b\u{FFFF}c'), (3, NULL), (4, 'd')`);
    const { lines, values } = await bothWays('nonchar', { 'toJobConfig.lineSeparator': '\\n' });
    expect(lines.get('rows_00000.csv')!.toString('utf8')).toBe('1,a\n2,b\u{FFFF}c\n3,\n4,d\n');
    expect(lines.get('rows_00000.csv')!.equals(values.get('rows_00000.csv')!)).toBe(true);
  });

  it('read line by line the pages whose lines together outgrow what the server joins', async () => {
    // Ten lines of 1.5 MB: each fits in a packet, a page of them not in half of one (group_concat_max_len).
    await db.query('CREATE TABLE wide_rows (id INT PRIMARY KEY, s LONGTEXT)');
    for (let i = 1; i <= 10; i++) await db.query(`INSERT INTO wide_rows VALUES (${i}, REPEAT('${String.fromCharCode(96 + i)}', 1500000))`);
    const { lines, values } = await bothWays('wide_rows', { 'toJobConfig.lineSeparator': '\\n' }, 'wide');
    expect(lines.get('rows_00000.csv')!.equals(values.get('rows_00000.csv')!)).toBe(true);
    const text = lines.get('rows_00000.csv')!.toString('utf8').split('\n');
    expect(text.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `${i + 1},${String.fromCharCode(97 + i).repeat(1_500_000)}`));
  });

  it('read a page as values where a value is too long for the server to quote or encode quickly', async () => {
    // 600 000 quotes to double (minutes of REPLACE), and 1 MB of bytes in base64 lines to join: MariaDB's REPLACE is quadratic in them.
    await db.query('CREATE TABLE quotes (id INT PRIMARY KEY, s LONGTEXT, b LONGBLOB)');
    await db.query(`INSERT INTO quotes VALUES (1, 'a"b', X'01'), (2, REPEAT('x"', 600000), REPEAT(X'ABCD', 500000)), (3, '', NULL)`);
    const { lines, values } = await bothWays('quotes', { 'toJobConfig.lineSeparator': '\\n' });
    expect(lines.get('rows_00000.csv')!.equals(values.get('rows_00000.csv')!)).toBe(true);
    const text = lines.get('rows_00000.csv')!.toString('utf8').split('\n');
    expect(text[1]).toMatch(/^2,"(x""){600000}",q82r/);
  });

  it.each(['5', '-1'])('fail the export on a TINYINT(1) holding %s, naming it, rather than write it as true', async (value) => {
    // InnoDB, a one-column integer primary key: pages joined by the server, three rows a page.
    const table = `flag_${value.replace('-', 'minus')}`;
    await db.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, flag TINYINT(1)) ENGINE=InnoDB`);
    await db.query(`INSERT INTO ${table} VALUES (1, 1), (2, 0), (3, NULL), (4, ${value}), (5, 1), (6, 0)`);
    const name = `export${++jobs}`;
    await c.job(name, {
      from: ['db', 'generic-jdbc-connector'],
      to: ['s3', 'obs-connector'],
      fromInputs: { 'fromJobConfig.schemaName': db.name, 'fromJobConfig.tableName': table },
      toInputs: {
        'toJobConfig.bucketName': 'out',
        'toJobConfig.outputDirectory': `/${name}`,
        'toJobConfig.outputFormat': 'CSV_FILE',
        'toJobConfig.lineSeparator': '\\n',
      },
    });
    const s = await c.run(name);
    expect(s.status).toBe('FAILED');
    expect(s['error-summary']).toContain(`Column flag of ${db.name}.${table} holds ${value}, which is not a boolean`);
    // Whatever was written holds only the rows before it, as they are.
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'out', Prefix: `${name}/` }));
    for (const o of listed.Contents ?? []) {
      const body = await (await s3.client.send(new GetObjectCommand({ Bucket: 'out', Key: o.Key! }))).Body!.transformToString();
      expect('1,true\n2,false\n3,\n'.startsWith(body), `${o.Key}: ${body}`).toBe(true);
    }
  });
});

