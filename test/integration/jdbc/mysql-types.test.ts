// Every MySQL/MariaDB type a user migrates reads as the documented logical value and
// copies MySQL→MySQL exactly, whatever the process timezone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlDialect } from '../../../lib/connectors/jdbc/mysql/mysql-dialect';
import { declaredType } from '../../../lib/connectors/jdbc/mysql/mysql-types';
import type { Column, LogicalType, Value } from '../../../lib/engine/types';
import { createTestDatabase, pump, readAll, rowsOf, runKey, type TestDatabase } from '../../support/mysql';

interface TypeCase {
  type: string;
  /** SQL expression inserted as the value. */
  sql: string;
  logical: LogicalType;
  value: Value;
}

const bytes = (...b: number[]) => Buffer.from(b);

const cases: TypeCase[] = [
  { type: 'BIGINT', sql: '-9223372036854775808', logical: 'integer', value: -9223372036854775808n },
  { type: 'BIGINT', sql: '9007199254740993', logical: 'integer', value: 9007199254740993n },
  { type: 'BIGINT UNSIGNED', sql: '18446744073709551615', logical: 'integer', value: 18446744073709551615n },
  { type: 'INT UNSIGNED', sql: '4294967295', logical: 'integer', value: 4294967295n },
  { type: 'TINYINT', sql: '-128', logical: 'integer', value: -128n },
  { type: 'YEAR', sql: '1901', logical: 'integer', value: 1901n },
  {
    type: 'DECIMAL(38,10)',
    sql: '1234567890123456789012345678.0123456789',
    logical: 'decimal',
    value: '1234567890123456789012345678.0123456789',
  },
  { type: 'DECIMAL(38,10)', sql: '-0.0000000001', logical: 'decimal', value: '-0.0000000001' },
  { type: 'DECIMAL(10,2)', sql: '0.10', logical: 'decimal', value: '0.10' },
  { type: 'DOUBLE', sql: '0.1', logical: 'float', value: 0.1 },
  { type: 'DOUBLE', sql: '-1.7976931348623157e308', logical: 'float', value: -1.7976931348623157e308 },
  { type: 'FLOAT', sql: '1.5', logical: 'float', value: 1.5 },
  { type: 'DATE', sql: "'1969-12-31'", logical: 'date', value: '1969-12-31' },
  { type: 'DATE', sql: "'0001-01-01'", logical: 'date', value: '0001-01-01' },
  { type: 'DATE', sql: "'9999-12-31'", logical: 'date', value: '9999-12-31' },
  { type: 'DATETIME(6)', sql: "'1900-01-01 00:00:00.000001'", logical: 'timestamp', value: '1900-01-01 00:00:00.000001' },
  { type: 'DATETIME(6)', sql: "'9999-12-31 23:59:59.999999'", logical: 'timestamp', value: '9999-12-31 23:59:59.999999' },
  // 02:30 on 1988-04-10 never happened in Shanghai (daylight saving began at 02:00): no shift either.
  { type: 'DATETIME', sql: "'1988-04-10 02:30:00'", logical: 'timestamp', value: '1988-04-10 02:30:00' },
  {
    type: 'TIMESTAMP(6) NULL',
    sql: "'2038-01-19 03:14:07.999999'",
    logical: 'timestamptz',
    value: '2038-01-19T03:14:07.999999+00:00',
  },
  { type: 'TIMESTAMP NULL', sql: "'1970-01-01 00:00:01'", logical: 'timestamptz', value: '1970-01-01T00:00:01+00:00' },
  { type: 'TIME(6)', sql: "'-838:59:59.000000'", logical: 'time', value: '-838:59:59.000000' },
  { type: 'TIME', sql: "'23:59:59'", logical: 'time', value: '23:59:59' },
  { type: 'VARCHAR(20)', sql: "'😀 𝄞 中文'", logical: 'string', value: '😀 𝄞 中文' },
  { type: 'VARCHAR(20)', sql: "''", logical: 'string', value: '' },
  {
    type: 'TEXT',
    sql: "CONCAT('quote '' backslash \\\\ nul ', CHAR(0 USING utf8mb4), ' tab\\t newline\\n ctrl-z ', CHAR(26 USING utf8mb4))",
    logical: 'string',
    value: "quote ' backslash \\ nul \0 tab\t newline\n ctrl-z \x1a",
  },
  { type: "ENUM('small','large')", sql: "'large'", logical: 'string', value: 'large' },
  { type: 'VARBINARY(8)', sql: "X'00ff0000'", logical: 'bytes', value: bytes(0, 255, 0, 0) },
  { type: 'BINARY(4)', sql: "X'0001'", logical: 'bytes', value: bytes(0, 1, 0, 0) },
  { type: 'BLOB', sql: "X'00005c27'", logical: 'bytes', value: bytes(0, 0, 0x5c, 0x27) },
  { type: 'JSON', sql: `'{"a": [1, 2.50, "😀"], "b": null}'`, logical: 'json', value: '{"a": [1, 2.50, "😀"], "b": null}' },
  { type: 'TINYINT(1)', sql: '1', logical: 'boolean', value: true },
  { type: 'TINYINT(1)', sql: '0', logical: 'boolean', value: false },
  { type: 'BIT(1)', sql: "b'1'", logical: 'boolean', value: true },
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('mysql_types');
});
afterAll(() => db?.drop());

describe.each(['UTC', 'Asia/Shanghai'])('with the process timezone %s', (tz) => {
  const savedTz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = tz;
  });
  afterAll(() => {
    process.env.TZ = savedTz;
  });

  it('the process really runs in that timezone', () => {
    expect(new Date('2024-01-01T00:00:00Z').getTimezoneOffset()).toBe(tz === 'UTC' ? 0 : -480);
  });

  it.each(cases.map((c, i) => ({ ...c, i })))(
    '$type $sql reads as $logical and copies MySQL→MySQL exactly',
    async ({ type, sql, logical, value, i }) => {
      const src = `src_${tz === 'UTC' ? 'u' : 's'}_${i}`;
      const dst = `${src}_copy`;
      await db.query(`CREATE TABLE \`${src}\` (id INT PRIMARY KEY, v ${type}) CHARACTER SET utf8mb4`);
      await db.query(`INSERT INTO \`${src}\` VALUES (1, ${sql}), (2, NULL)`);

      const source = await mysqlDialect.openSource({
        link: db.link(),
        from: { 'fromJobConfig.tableName': src },
        run: runKey(src),
      });
      expect(source.schema.columns[1]).toMatchObject({ name: 'v', type: logical });
      expect(rowsOf(await readAll(source, 10))).toEqual([
        [1n, value],
        [2n, null],
      ]);

      const sink = await mysqlDialect.openSink({
        link: db.link(),
        to: { 'toJobConfig.tableName': dst, 'toJobConfig.tablePreparation': 'DROP_AND_CREATE' },
        run: runKey(src),
        schema: source.schema,
      });
      await pump(source, sink, 10);
      await Promise.all([source.close(), sink.close()]);

      // Same engine: the destination column is declared as the source's, and the server compares equal.
      const declared = await db.query(
        `SELECT TABLE_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'v' AND TABLE_NAME IN (?, ?)`,
        [src, dst],
      );
      expect(declared).toHaveLength(2);
      expect(declared[0]![1]).toBe(declared[1]![1]);
      expect(await db.query(`SELECT s.id, s.v <=> d.v FROM \`${src}\` s JOIN \`${dst}\` d USING (id) ORDER BY s.id`)).toEqual([
        [1, 1],
        [2, 1],
      ]);
      const copy = await mysqlDialect.openSource({ link: db.link(), from: { 'fromJobConfig.tableName': dst }, run: runKey(dst) });
      expect(rowsOf(await readAll(copy, 10))).toEqual([
        [1n, value],
        [2n, null],
      ]);
      await copy.close();
    },
  );
});

describe('a destination table created from another engine’s schema', () => {
  const col = (type: LogicalType, extra: Partial<Column> = {}): Column => ({ name: 'c', type, nullable: true, ...extra });
  it.each<[string, Column, string]>([
    ['integer of 8 bits', col('integer', { precision: 8 }), 'TINYINT'],
    ['integer of 32 bits', col('integer', { precision: 32 }), 'INT'],
    ['integer without a width', col('integer'), 'BIGINT'],
    ['unsigned 64-bit integer', col('integer', { precision: 65 }), 'DECIMAL(20,0)'],
    ['decimal(12,2)', col('decimal', { precision: 12, scale: 2 }), 'DECIMAL(12,2)'],
    ['decimal declared DECIMAL(12,2) natively', col('decimal', { nativeType: 'DECIMAL(12,2)' }), 'DECIMAL(12,2)'],
    ['unbounded decimal', col('decimal'), 'DECIMAL(65,30)'],
    ['float of 24 bits', col('float', { precision: 24 }), 'FLOAT'],
    ['float', col('float'), 'DOUBLE'],
    ['boolean', col('boolean'), 'BOOLEAN'],
    ['string of 40 characters', col('string', { length: 40 }), 'VARCHAR(40)'],
    ['string without a length', col('string'), 'LONGTEXT'],
    ['bytes of 16', col('bytes', { length: 16 }), 'VARBINARY(16)'],
    ['bytes', col('bytes'), 'LONGBLOB'],
    ['date', col('date'), 'DATE'],
    ['time with 3 fractional digits', col('time', { scale: 3 }), 'TIME(3)'],
    ['timestamp', col('timestamp'), 'DATETIME(6)'],
    ['timestamptz', col('timestamptz', { scale: 0 }), 'DATETIME(0)'],
    ['json', col('json'), 'JSON'],
  ])('%s → %s', (_what, column, expected) => {
    expect(declaredType(column, { sameEngine: false, extendCharLength: false })).toBe(expected);
  });

  it('a string key column is a VARCHAR short enough to index', () => {
    expect(declaredType(col('string'), { sameEngine: false, keyBytes: 3072, extendCharLength: false })).toBe('VARCHAR(768)');
    expect(declaredType(col('string', { length: 20 }), { sameEngine: false, keyBytes: 3072, extendCharLength: false })).toBe(
      'VARCHAR(20)',
    );
  });
});
