// Values a user relies on survive PostgreSQL → PostgreSQL exactly, value by value,
// whatever the process timezone and the server's default timezone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jdbcConnector } from '../../../lib/connectors/jdbc/jdbc-connector';
import type { Value } from '../../../lib/engine/types';
import { copyAll, createTestDatabase, testRun, type TestDatabase } from '../../support/postgres';

const COLUMNS = `id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, n numeric(38,10), nu numeric, f4 real,
  f8 double precision, b boolean, t text, vc varchar(20), ch char(5), by bytea, d date, tm time(6),
  ts timestamp(6), ts0 timestamp(0), tstz timestamptz, j json, jb jsonb, u uuid, arr integer[], tarr text[], iv interval`;

// One row per story; columns not named are NULL.
const ROWS: Record<string, string>[] = [
  {
    id: '1', i2: '-32768', i4: '2147483647', i8: '9223372036854775807', n: '1234567890123456789012345678.0123456789',
    nu: '0.1000000000000000000000000000001', f4: '0.1', f8: '0.1', b: 'true', t: '😀 4-byte 𝄞', vc: 'abc', ch: 'ab',
    by: '\\x00ff0000', d: '1900-01-01', tm: '23:59:59.999999', ts: '1969-12-31 23:59:59.999999', ts0: '2024-02-29 12:00:00',
    tstz: '2024-03-10 10:00:00.123456+08', j: '{"b": [1, 2],  "a":null}', jb: '{"b": [1, 2], "a": null}',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', arr: '{1,2,NULL}', tarr: '{"a\\"b",NULL,"c,d"}', iv: '1 year 2 mons 3 days 04:05:06.5',
  },
  { id: '2', i8: '-9223372036854775808', d: '9999-12-31', ts: '9999-12-31 23:59:59.999999', tstz: '9999-12-31 23:59:59.999999+00', f8: '-0', b: 'false' },
  { id: '3', d: '0044-03-15 BC', ts: 'infinity', tstz: '-infinity', f8: 'NaN', f4: 'Infinity', nu: 'NaN' },
  { id: '4', t: '', vc: '', by: '\\x', j: '""', tarr: '{}' },
  { id: '5' },
  { id: '6', t: 'tab\there\nnewline\\backslash\rcr \\N \\.', n: '-0.0000000001', i8: '9007199254740993', f8: '1.7976931348623157e+308' },
];

let src: TestDatabase;
let dst: TestDatabase;
beforeAll(async () => {
  [src, dst] = await Promise.all([createTestDatabase('types_src'), createTestDatabase('types_dst')]);
  // If a session took the server's zone, timestamptz would read shifted.
  await src.query(`ALTER DATABASE "${src.name}" SET timezone = 'America/New_York'`);
  await dst.query(`ALTER DATABASE "${dst.name}" SET timezone = 'Asia/Kolkata'`);
  await src.query(`CREATE TABLE typed (${COLUMNS})`);
  for (const row of ROWS) {
    const names = Object.keys(row);
    await src.query(
      `INSERT INTO typed (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    );
  }
});
afterAll(async () => {
  await Promise.all([src?.drop(), dst?.drop()]);
});

const openSource = () =>
  jdbcConnector.openSource!({ link: src.link, from: { 'fromJobConfig.schemaName': 'public', 'fromJobConfig.tableName': 'typed' }, run: testRun() });

async function readAll(): Promise<Value[][]> {
  const source = await openSource();
  try {
    const rows: Value[][] = [];
    for await (const batch of source.read(undefined, 4)) rows.push(...batch.rows);
    return rows;
  } finally {
    await source.close();
  }
}

describe.each(['UTC', 'Asia/Shanghai'])('with the process in TZ=%s', (tz) => {
  const before = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = tz;
  });
  afterAll(() => {
    process.env.TZ = before;
  });

  it('the process really runs in that zone', () => {
    expect(new Date(Date.UTC(2024, 0, 1)).getTimezoneOffset()).toBe(tz === 'UTC' ? 0 : -480);
  });

  it('reports each column with its logical type', async () => {
    const source = await openSource();
    await source.close();
    const types = Object.fromEntries(source.schema.columns.map((c) => [c.name, c.type]));
    expect(types).toEqual({
      id: 'integer', i2: 'integer', i4: 'integer', i8: 'integer', n: 'decimal', nu: 'decimal', f4: 'float', f8: 'float',
      b: 'boolean', t: 'string', vc: 'string', ch: 'string', by: 'bytes', d: 'date', tm: 'time', ts: 'timestamp',
      ts0: 'timestamp', tstz: 'timestamptz', j: 'json', jb: 'json', u: 'string', arr: 'string', tarr: 'string', iv: 'string',
    });
    expect(source.schema.primaryKey).toEqual(['id']);
    expect(source.schema.columns.find((c) => c.name === 'n')).toMatchObject({ precision: 38, scale: 10, nativeType: 'numeric(38,10)' });
  });

  it.each<[number, string, Value]>([
    [1, 'i8', 9223372036854775807n],
    [2, 'i8', -9223372036854775808n],
    [6, 'i8', 9007199254740993n],
    [1, 'i2', -32768n],
    [1, 'n', '1234567890123456789012345678.0123456789'],
    [6, 'n', '-0.0000000001'],
    [1, 'nu', '0.1000000000000000000000000000001'],
    [3, 'nu', 'NaN'],
    [1, 'f8', 0.1],
    [2, 'f8', -0],
    [3, 'f8', Number.NaN],
    [3, 'f4', Number.POSITIVE_INFINITY],
    [6, 'f8', 1.7976931348623157e308],
    [1, 'b', true],
    [2, 'b', false],
    [1, 't', '😀 4-byte 𝄞'],
    [4, 't', ''],
    [5, 't', null],
    [6, 't', 'tab\there\nnewline\\backslash\rcr \\N \\.'],
    [1, 'ch', 'ab   '],
    [1, 'by', Buffer.from([0, 255, 0, 0])],
    [4, 'by', Buffer.alloc(0)],
    [1, 'd', '1900-01-01'],
    [2, 'd', '9999-12-31'],
    [3, 'd', '0044-03-15 BC'],
    [1, 'tm', '23:59:59.999999'],
    [1, 'ts', '1969-12-31 23:59:59.999999'],
    [2, 'ts', '9999-12-31 23:59:59.999999'],
    [3, 'ts', 'infinity'],
    [1, 'ts0', '2024-02-29 12:00:00'],
    [1, 'tstz', '2024-03-10T02:00:00.123456+00:00'],
    [3, 'tstz', '-infinity'],
    [1, 'j', '{"b": [1, 2],  "a":null}'],
    [1, 'jb', '{"a": null, "b": [1, 2]}'],
    [4, 'j', '""'],
    [1, 'u', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    [1, 'arr', '{1,2,NULL}'],
    [1, 'tarr', '{"a\\"b",NULL,"c,d"}'],
    [4, 'tarr', '{}'],
    [1, 'iv', '1 year 2 mons 3 days 04:05:06.5'],
  ])('row %i reads %s as %o', async (id, column, expected) => {
    const rows = await readAll();
    const source = await openSource();
    await source.close();
    const index = source.schema.columns.findIndex((c) => c.name === column);
    const value = rows.find((r) => r[0] === BigInt(id))![index];
    expect(value).toStrictEqual(expected);
  });

  it('copies every value into a table it creates, identical as the server prints it', async () => {
    const table = `typed_${tz.replace('/', '_').toLowerCase()}`;
    const source = await openSource();
    const sink = await jdbcConnector.openSink!({
      link: dst.link,
      to: { 'toJobConfig.tableName': table, 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' },
      run: testRun(),
      schema: source.schema,
    });
    try {
      await copyAll(source, sink, 4);
    } finally {
      await Promise.all([source.close(), sink.close()]);
    }
    const dump = async (db: TestDatabase, t: string) =>
      (await db.query(`SELECT t::text AS row FROM ${t} t ORDER BY id`)).map((r) => r.row);
    expect(await dump(dst, table)).toEqual(await dump(src, 'typed'));
    // Same declarations too: a same-engine copy reuses the source's types.
    const declared = async (db: TestDatabase, t: string) =>
      (await db.query(`SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
                        WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`, [t])).map((r) => Object.values(r).join(' '));
    expect(await declared(dst, table)).toEqual(await declared(src, 'typed'));
    const [stamp] = await dst.query(`SELECT ts::text, tstz::text FROM ${table} WHERE id = 1`);
    expect(stamp).toEqual({ ts: '1969-12-31 23:59:59.999999', tstz: '2024-03-10 02:00:00.123456+00' });
  });
});
